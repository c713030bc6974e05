// Durable host file primitives (Node's fs only; imports no other room).
export {
  createFileOnceSync,
  exclusiveCreate,
  linkNewFileSync,
  processAlive,
  syncDirectory,
  writeNewFileSync,
} from './durable.js';
