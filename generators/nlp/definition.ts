import { defineProject } from '../../core/definition.js';
import type { OptionSpec } from '../../core/options.js';

const options = [
  {
    name: 'model',
    type: 'choice',
    description: 'The intent classifier trained by `make train`.',
    message: 'Intent classifier',
    choices: [
      { value: 'sklearn', description: 'TF-IDF word + character n-grams and a linear classifier (scikit-learn)' },
      { value: 'torch', description: 'a small embedding-bag classifier in PyTorch (x86-64 and ARM64 Linux, x86-64 Windows, Apple-silicon macOS; PyTorch has no Intel-macOS wheel after 2.2)' },
      { value: 'keras', description: 'a small embedding classifier in TensorFlow / Keras (x86-64 Linux and Windows, ARM64 Linux, Apple-silicon macOS; TensorFlow 2.21 has no Intel-macOS wheel)' },
    ],
    default: 'sklearn',
  },
  {
    name: 'text',
    type: 'choice',
    description: 'Tokenising and entity patterns; only the parts that need no downloaded data, so it runs offline.',
    message: 'Text processing',
    choices: [
      { value: 'nltk', description: "NLTK's regexp tokenizer and Snowball stemmer" },
      { value: 'spacy', description: "spaCy's blank English pipeline with an entity ruler" },
    ],
    default: 'nltk',
  },
  {
    name: 'maps',
    type: 'boolean',
    description: 'Add a "where is / what is near" intent answered through OpenStreetMap Nominatim (cached, one request a second).',
    message: 'Maps integration (OpenStreetMap)?',
    default: false,
  },
] as const satisfies readonly OptionSpec[];

export default defineProject({
  kind: 'nlp',
  summary: 'An intent chatbot: a trained classifier, entities, dialogue handlers, a chat page and a JSON API.',
  defaultName: 'intent-chatbot',
  defaultDescription: 'A chatbot that classifies what you ask, pulls out places, dates and numbers, and answers.',
  options,
  requirements: (answers) => ['nlp', `nlp-${answers.text}`, ...(answers.model === 'sklearn' ? [] : [`nlp-${answers.model}`])],
  // One file per choice: src/<pkg>/model_<model>.py and text_<text>.py (components.py imports the
  // chosen pair); features.py only for the neural models; maps files only with --maps.
  include: (target, answers) => {
    const model = /^src\/\w+\/model_(\w+)\.py$/.exec(target);
    if (model) return model[1] === answers.model;
    const text = /^src\/\w+\/text_(\w+)\.py$/.exec(target);
    if (text) return text[1] === answers.text;
    if (/\/features\.py$/.test(target)) return answers.model !== 'sklearn';
    if (/\/(maps\.py|test_maps\.py|data\/maps_\w+\.yml)$/.test(target)) return answers.maps;
    return true;
  },
});
