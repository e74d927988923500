#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=128 --lite-mode
// Committed stub so npm links the bin at install time, before dist/ is built.
require("../dist/main.js");
