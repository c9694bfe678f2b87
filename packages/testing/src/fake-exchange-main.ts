#!/usr/bin/env node
// `node packages/testing/dist/fake-exchange-main.js [flags]`: see FAKE_EXCHANGE_USAGE.
import { runFakeExchange } from './fake-exchange-process';

void runFakeExchange(process.argv.slice(2));
