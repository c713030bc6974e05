// Durable host file primitives (Node's fs only; imports no other room).
export { exclusiveCreate, linkNewFileSync, processAlive, syncDirectory, writeNewFileSync } from './durable.js';
