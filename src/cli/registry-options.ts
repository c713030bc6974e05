import { hostname } from 'node:os';
import { Option } from 'commander';
import type { Registry } from '../office/index.js';

/*
 * What every command on the back office registry shares: where the registry is (--db), which
 * terminal the history records, and opening the registry for one command and closing it after.
 */

export interface RegistryDbOptions {
  db?: string;
}

/** --db URL: file:DIR for the embedded store, postgres://… for a server. */
export function registryDbOption(): Option {
  return new Option(
    '--db <url>',
    'registry: file:DIR (embedded) or postgres://… (default: $SSCARD_DB, else file:./sscard-office)',
  );
}

/** A terminal id named after this machine, e.g. `cli@host`, within the registry's 64 characters. */
export function hostTerminalId(kind: string): string {
  return `${kind}@${hostname()}`.slice(0, 64);
}

/** The option naming the terminal id recorded in the history. */
export function terminalIdOption(defaultId: string, flags = '--terminal <id>'): Option {
  return new Option(flags, 'terminal id recorded in the history').default(defaultId);
}

/** Runs `fn` on the registry of `opts.db` (default: $SSCARD_DB, else file:./sscard-office), then closes it. */
export async function withRegistry<T>(opts: RegistryDbOptions, fn: (registry: Registry) => Promise<T>): Promise<T> {
  // Loaded here, not with this module: the command definitions use its options.
  const { Registry, defaultRegistryLocation } = await import('../office/index.js');
  const registry = await Registry.open(opts.db ?? defaultRegistryLocation());
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}
