#!/usr/bin/env node
// Committed stub so npm links the bin at install time, before dist/ is built.
require("../dist/main.js");
