// Imported first by main.ts: @duckdb/node-api starts libuv's thread pool as it loads, and the pool's
// threads can only be told apart while they start (thread-priority.ts).
import { findPoolThreads } from './thread-priority';

findPoolThreads();
