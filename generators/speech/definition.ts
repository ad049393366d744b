import { defineProject } from '../../core/definition.js';
import type { OptionSpec } from '../../core/options.js';

const options = [
  {
    name: 'rnn',
    type: 'choice',
    description: 'The recurrent core of the acoustic model (bidirectional, in PyTorch: x86-64 and ARM64 Linux, x86-64 Windows, Apple-silicon macOS; PyTorch has no Intel-macOS wheel after 2.2).',
    message: 'Recurrent layer',
    choices: [
      { value: 'gru', description: 'GRU: fewer parameters, trains faster' },
      { value: 'lstm', description: 'LSTM: the classic choice' },
    ],
    default: 'gru',
  },
  {
    name: 'audio',
    type: 'choice',
    description: 'Library for loading and resampling your own clips (the server decodes uploads with soundfile only).',
    message: 'Audio library',
    choices: [
      { value: 'librosa', description: 'librosa: loading, resampling and the mel filter bank' },
      { value: 'pydub', description: 'pydub: many formats through ffmpeg when it is installed' },
    ],
    default: 'librosa',
  },
] as const satisfies readonly OptionSpec[];

export default defineProject({
  kind: 'speech',
  summary: 'Speech-to-text with a convolutional front end, a GRU or LSTM and CTC, with an upload page.',
  defaultName: 'digits-speech',
  defaultDescription: 'Speech-to-text for spoken digit strings: log-mel features, a recurrent network and CTC.',
  options,
  requirements: (answers) => ['speech', `speech-${answers.audio}`],
  // The numpy mel filter bank (and its test) replaces librosa's only when librosa is absent.
  include: (target, answers) => !/(^|\/)(mel|test_mel)\.py$/.test(target) || answers.audio === 'pydub',
});
