// Durable host file primitives (Node's fs only; imports no other room).
export { processAlive, syncDirectory, writeNewFileSync } from './durable.js';
