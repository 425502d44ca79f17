'use strict';
// Encodes strings with the reference tokenizer (@lenml/tokenizers, a fork of transformers.js)
// built from a given tokenizer.json (and tokenizer_config.json beside it, if any). Used by the
// Java tests of tokenizers liquid4j writes itself (BpeTrainer), which have no fixed fixtures.
//   node encode_with.js DIR < strings.json > ids.json
// stdin: a JSON array of strings; stdout: a JSON array with the ids of each,
// encode(s, {add_special_tokens: true}).
const fs = require('fs');
const path = require('path');
const { TokenizerLoader } = require('@lenml/tokenizers');

function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node encode_with.js DIR < strings.json');
    process.exit(2);
  }
  const tokenizerJSON = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const configFile = path.join(dir, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {};
  const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
  const strings = JSON.parse(fs.readFileSync(0, 'utf8'));
  const ids = strings.map((s) => tokenizer.encode(s, { add_special_tokens: true }));
  process.stdout.write(JSON.stringify(ids) + '\n');
}

main();
