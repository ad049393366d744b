import { defineProject } from '../../core/definition.js';
import type { OptionSpec } from '../../core/options.js';

const options = [
  {
    name: 'model',
    type: 'choice',
    description: 'The model `make train` trains (or, for pretrained, fine-tunes) and `make serve` runs; all three are PyTorch (x86-64 and ARM64 Linux, x86-64 Windows, Apple-silicon macOS; PyTorch has no Intel-macOS wheel after 2.2).',
    message: 'Model',
    choices: [
      { value: 'detector', description: 'a compact anchor-free single-stage detector in plain PyTorch (trains from scratch)' },
      { value: 'unet', description: 'a U-Net that segments objects; boxes come from the mask' },
      { value: 'pretrained', description: "torchvision's Faster R-CNN for real photos (weights only via make weights)" },
    ],
    default: 'detector',
  },
] as const satisfies readonly OptionSpec[];

/** One model module and its tests per choice: src/<pkg>/<model>.py and tests/test_<model>.py. */
const MODEL_FILE = /(?:^|\/)(?:test_)?(detector|unet|pretrained)\.py$/;

export default defineProject({
  kind: 'cv',
  summary: 'Object detection in PyTorch with a Flask upload page, shared through ngrok.',
  defaultName: 'shapes-detector',
  defaultDescription: 'An object detector trained from scratch on synthetic shapes, served on an upload page.',
  options,
  requirements: (answers) => ['cv', answers.model === 'pretrained' ? 'cv-pretrained' : 'cv-torch'],
  include: (target, answers) => {
    // test_tracking.py reads the runs back from MLflow; the kit's test_tracking_interface.py
    // covers the other trackers.
    if (target === 'tests/test_tracking.py') return answers.tracker === 'mlflow';
    const match = MODEL_FILE.exec(target);
    return !match || match[1] === answers.model;
  },
});
