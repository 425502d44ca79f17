'use strict';
// The tokenizer test corpus: hand-written fragments plus seeded combinations of them, so the
// corpus is reproducible (same script → same lines) and covers what BPE pipelines get wrong:
// prose in many scripts, code, CJK, emoji sequences, whitespace runs, digits, contractions,
// special-token text, byte-fallback characters and very long lines.
//
// Characters on which the reference (JavaScript regex) and Oniguruma/Java disagree are left
// out on purpose: U+0085 (whitespace for Oniguruma and Java, not for JS), U+FEFF (the reverse),
// U+017F/U+212A (case-fold to s/k only under Unicode case folding) and code points assigned
// after Unicode 15.1 (Node 20's ICU); see README.md.

const PROSE = {
  en: [
    'The quick brown fox jumps over the lazy dog.',
    "It's a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife.",
    'She sells sea shells by the sea shore, and the shells she sells are surely seashells.',
    'In 1969, Apollo 11 landed on the Moon; Neil Armstrong stepped out at 02:56 UTC.',
    "I can't believe it's already 5 o'clock — we'll be late again, won't we?",
    'Tokenizers split text into pieces; byte-pair encoding merges the most frequent pairs first.',
    'Please call me at (555) 123-4567 or e-mail john.doe@example.com before Friday.',
    'The mitochondria is the powerhouse of the cell, or so the textbooks say.',
    'HELLO WORLD! THIS IS A TEST OF UPPER-CASE TEXT, WITH PUNCTUATION...',
    'Once upon a time there was a little girl named Lily who loved to play outside in the park.',
    "They'd've thought you'd done it, but you hadn't; y'all know that.",
    'Supercalifragilisticexpialidocious is a rather long word, as is pneumonoultramicroscopicsilicovolcanoconiosis.',
  ],
  de: [
    'Der schnelle braune Fuchs springt über den faulen Hund.',
    'Größenwahnsinnige Straßenbahnschaffner überqueren äußerst vorsichtig die Brücke.',
    'Donaudampfschifffahrtsgesellschaftskapitän ist ein sehr langes Wort.',
    'Wir haben uns am Freitag um 18:30 Uhr im Café „Zur Post“ getroffen.',
  ],
  fr: [
    "L'été dernier, nous sommes allés à Paris pour voir la tour Eiffel.",
    "Il était une fois une princesse qui vivait dans un château très élevé.",
    "Où est la bibliothèque ? Je ne la trouve pas ; c'est bizarre !",
    "Les élèves ont répondu « oui » à l'unanimité.",
  ],
  es: [
    '¿Dónde está la estación de tren? Necesito llegar a Madrid mañana.',
    'El niño comió una manzana y después jugó al fútbol con sus amigos.',
    '¡Qué bonito día hace hoy! Vamos a la playa.',
  ],
  it: ['La vita è bella quando si mangia una buona pizza napoletana.', "Perché l'Italia è così famosa per il caffè?"],
  pt: ['A ação da cooperação internacional é fundamental para o progresso.', 'Não sei se vou conseguir chegar às três horas.'],
  pl: ['Zażółć gęślą jaźń — to zdanie zawiera wszystkie polskie litery.', 'W Szczebrzeszynie chrząszcz brzmi w trzcinie.'],
  tr: ['Çok güzel bir gün, değil mi? Işık ve İstanbul büyük harfle yazılır.', 'Şu çılgın Türk ağacı görmüş mü?'],
  ru: [
    'Съешь же ещё этих мягких французских булок, да выпей чаю.',
    'В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!',
    'Москва — столица России, основанная в 1147 году.',
  ],
  uk: ['Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!'],
  el: ['Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.', 'Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.'],
  ar: ['مرحبا بالعالم! كيف حالك اليوم؟', 'اللغة العربية جميلة جدا، وهي لغة القرآن الكريم.'],
  he: ['שלום עולם, מה שלומך היום?', 'עטלף אבק נס דרך מזגן שהתפוצץ כי חם.'],
  fa: ['سلام دنیا، امروز هوا خیلی خوب است.'],
  hi: ['नमस्ते दुनिया, आप कैसे हैं?', 'हिन्दी भारत की राजभाषा है और इसे देवनागरी लिपि में लिखा जाता है।'],
  bn: ['আমি বাংলায় গান গাই।'],
  ta: ['யாமறிந்த மொழிகளிலே தமிழ்மொழி போல் இனிதாவது எங்கும் காணோம்.'],
  th: ['สวัสดีชาวโลก วันนี้อากาศดีมาก', 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ'],
  vi: ['Tiếng Việt có rất nhiều dấu thanh điệu khác nhau.', 'Xin chào thế giới, hôm nay trời đẹp quá!'],
  zh: [
    '你好，世界！今天天气很好。',
    '我们在北京大学学习人工智能和自然语言处理。',
    '床前明月光，疑是地上霜。举头望明月，低头思故乡。',
    '这是一个用于测试分词器的中文句子，包含标点符号：逗号、句号。',
    '機器學習是人工智慧的一個分支。',
  ],
  ja: [
    'こんにちは世界、今日はいい天気ですね。',
    '東京スカイツリーは高さ634メートルの電波塔です。',
    'カタカナとひらがなと漢字を混ぜて書きます。ｶﾀｶﾅ半角も。',
  ],
  ko: ['안녕하세요, 세계! 오늘 날씨가 좋네요.', '한국어는 한글로 씁니다. 대한민국 서울특별시.'],
  ka: ['გამარჯობა მსოფლიო'],
  hy: ['Բարեւ աշխարհ'],
  am: ['ሰላም ልዑል'],
  sw: ['Habari ya dunia, jina langu ni Juma.'],
  fi: ['Hyvää päivää, mitä kuuluu? Äiti ja isä menivät kauppaan.'],
  is: ['Þórður og Ævar fóru í ferðalag til Reykjavíkur.'],
};

const CODE = [
  'public static void main(String[] args) {\n    System.out.println("Hello, World!");\n}',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }',
  'const x = await fetch(`https://api.example.com/v1/items?id=${id}&limit=10`);',
  '#include <stdio.h>\nint main(void) {\n\tprintf("%d\\n", 42);\n\treturn 0;\n}',
  'fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!("{:?}", v);\n}',
  'SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 100 GROUP BY u.id;',
  '<div class="container"><p id=\'intro\'>Hello &amp; welcome!</p><br/></div>',
  '{"name": "liquid4j", "version": "0.1.0", "tags": ["llm", "vq", "java"], "ok": true, "n": null}',
  'if [ -z "$HOME" ]; then echo "no home" >&2; exit 1; fi',
  'x = [i**2 for i in range(100) if i % 3 == 0]  # squares of multiples of three',
  'regex = r"^(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$"',
  '    \t  indented with mixed spaces and tabs\n\t\t\tdeeper\n',
  'a+=b;c-=d;e*=f;g/=h;i%=j;k<<=1;l>>=2;m>>>=3;n&=o;p|=q;r^=s;',
  'return x != null && x.length() >= 3 ? x.substring(0, 3) : "";',
  '// TODO(someone): this comment is part of the corpus, not a task.\n/* block */ /** javadoc {@link Foo#bar()} */',
  'matrix = [[1, 2, 3],\n          [4, 5, 6],\n          [7, 8, 9]]',
  '    def __init__(self, *args, **kwargs) -> None:\n        super().__init__(*args, **kwargs)',
  '\\begin{equation} E = mc^2 \\quad \\sum_{i=1}^{n} i = \\frac{n(n+1)}{2} \\end{equation}',
  'git commit -m "Fix #123: handle CRLF line endings"\r\ngit push origin main\r\n',
];

const EMOJI = [
  '😀', '🤗', '👍🏽', '👩‍👩‍👧‍👦', '🇯🇵', '🇺🇸🇬🇧', '1️⃣', '❤️', '🏳️‍🌈', '🧑🏿‍🚀', '🐍', '☕', '🎉🎉🎉', '🙂🙃',
];

const RARE = [
  '𠀋', '𪚥', '𓀀', '𝐀𝐁𝐂', '𝄞', '∮ E⋅da = Q', '∀x∈ℝ: x² ≥ 0', '⌘⌥⇧', '░▒▓█', '♔♕♖♗♘♙', 'Ⅻ', '①②③',
  '\u0000', '\u0001\u0002', '\u001b[31mred\u001b[0m', '\u007f', '\u00ad', '\u200b', '\u200d', '\u200e\u200f',
  '\ue000', '\ufffd', 'ﬁ', 'Å', 'Ω', 'é', 'e\u0301', 'A\u030a', '\u1100\u1161\u11a8', 'ñ', 'n\u0303',
  '\u00a0', '\u2003', '\u3000', '\u2009', '\u202f', '\u2028', '\u000b', '\u000c',
  '▁', '▁▁hello', 'Ġ', 'Ċ', '<0x41>', '<0xFF>', 'ĠĠĠ',
];

const NUMBERS = [
  '0', '7', '42', '123', '1234', '12345', '123456', '1234567', '12345678901234567890',
  '3.14159', '-2.5e-10', '1,000,000', '2024-01-15T13:45:00Z', '0x1F', '0b1010', '١٢٣٤', '１２３', '²³',
  '100%', '$9.99', '€1.234,56', '¥500', '1/2', '2^32', 'v1.2.3', 'ISBN 978-3-16-148410-0',
];

const SPECIALS = [
  '<start_of_turn>user', '<end_of_turn>', '<start_of_turn>model\n', '<bos>', '<eos>', '<pad>', '<unk>', '<mask>',
  '<unused0>', '<unused1>', '<unused2>', '[@BOS@]', '<2mass>', '<start_of_turn', 'start_of_turn>', '<<bos>>',
  '<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>user<|end_header_id|>',
  '<|reserved_special_token_5|>', '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|im_start|>system\n',
  '<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<think>', '</think>',
  '<s>', '</s>', '[INST]', '<|im_start', 'im_end|>',
];

const CONTRACTIONS = [
  "I'm", "you're", "he's", "she'd", "we've", "they'll", "it's", "DON'T", "WON'T", "I'M", "It'S", "We'Ve",
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "''", "'", "rock 'n' roll", "O'Neill", "'twas",
];

const WHITESPACE = [' ', '  ', '   ', '    ', '\t', '\t\t', '\n', '\n\n', '\n\n\n', '\r\n', '\r', ' \n', '\n ', ' \t \n'];

/** mulberry32: a tiny seeded PRNG so the corpus is identical on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildCorpus() {
  const rnd = prng(20240607);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const prose = Object.values(PROSE).flat();
  const lines = [];

  // Systematic single items.
  lines.push('');
  for (const group of [prose, CODE, EMOJI, RARE, NUMBERS, SPECIALS, CONTRACTIONS, WHITESPACE]) lines.push(...group);
  for (let c = 0x20; c < 0x7f; c++) lines.push(String.fromCharCode(c));
  for (let n = 1; n <= 24; n++) lines.push(' '.repeat(n), '\n'.repeat(n), '\t'.repeat(n), 'a' + ' '.repeat(n) + 'b');
  for (let n = 1; n <= 20; n++) lines.push('1234567890'.repeat(3).slice(0, n), 'x' + '9'.repeat(n) + 'y');
  for (const s of SPECIALS) {
    lines.push(s + 'hello', 'hello' + s, ' ' + s + ' ', s + s, 'a' + s + 'b' + s + 'c');
  }
  for (const c of CONTRACTIONS) lines.push(c + ' said', 'He said ' + c, c.toUpperCase() + c.toLowerCase());

  // Seeded combinations of everything above.
  const pools = [prose, prose, prose, CODE, EMOJI, RARE, NUMBERS, SPECIALS, CONTRACTIONS, WHITESPACE];
  while (lines.length < 2400) {
    const parts = 1 + Math.floor(rnd() * 6);
    let s = '';
    for (let i = 0; i < parts; i++) {
      let piece = pick(pick(pools));
      const r = rnd();
      if (r < 0.08) piece = piece.toUpperCase();
      else if (r < 0.14) piece = piece.toLowerCase();
      else if (r < 0.18) piece = piece.split(' ').reverse().join(' ');
      s += piece;
      if (i + 1 < parts) s += rnd() < 0.6 ? ' ' : pick(WHITESPACE);
    }
    lines.push(s);
  }

  // A few long lines: whole paragraphs, a long run of one character, mixed scripts.
  lines.push(prose.join(' '), CODE.join('\n\n'), 'a'.repeat(3000), ' '.repeat(1000) + 'x', '你好'.repeat(800),
    EMOJI.join('').repeat(40), (RARE.join(' ') + ' ').repeat(20), NUMBERS.join(' ').repeat(30));
  return [...new Set(lines)];
}

module.exports = { buildCorpus };
