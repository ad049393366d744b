import { defineProject } from '../../core/definition.js';
import type { OptionSpec } from '../../core/options.js';

const options = [
  {
    name: 'library',
    type: 'choice',
    description: 'How pages are fetched and parsed; both obey robots.txt and write to the same database.',
    message: 'Scraping library',
    choices: [
      { value: 'requests', description: 'requests + BeautifulSoup: a small crawler you can read end to end' },
      { value: 'scrapy', description: 'Scrapy: a spider and an item pipeline' },
    ],
    default: 'requests',
  },
  {
    name: 'database',
    type: 'choice',
    description: 'Where items are stored (through SQLAlchemy); DATABASE_URL overrides the location.',
    message: 'Database',
    choices: [
      { value: 'sqlite', description: 'SQLite file under data/ (no server)' },
      { value: 'mysql', description: 'MySQL / MariaDB through PyMySQL (DATABASE_URL)' },
    ],
    default: 'sqlite',
  },
  {
    name: 'backup',
    type: 'boolean',
    description: 'Add `make backup`: upload the database to Google Drive with a service account from the environment.',
    message: 'Google Drive backup of the database?',
    default: false,
  },
  {
    name: 'schedule',
    type: 'boolean',
    description: 'Add a GitHub Actions workflow that crawls nightly and uploads the database as an artifact.',
    message: 'Nightly crawl workflow?',
    default: false,
  },
] as const satisfies readonly OptionSpec[];

export default defineProject({
  kind: 'scraper',
  summary: 'Polite web scraping into SQLite or MySQL, with an analysis model, tracked runs and a JSON API.',
  defaultName: 'books-scraper',
  defaultDescription: 'A polite crawler for a book catalogue: robots.txt, retries and upserts, then analysis of what it collected.',
  options,
  requirements: (answers) => [
    'scraper',
    answers.library === 'scrapy' ? 'scraper-scrapy' : 'scraper-requests',
    ...(answers.database === 'mysql' ? ['scraper-mysql'] : []),
    ...(answers.backup ? ['scraper-backup'] : []),
  ],
  include: (target, answers) => {
    if (target === '.github/workflows/crawl.yml') return answers.schedule;
    if (target === 'tests/mariadb_server.py') return answers.database === 'mysql';
    if (/\/backup\.py$|\/test_backup\.py$/.test(target)) return answers.backup;
    if (/\/(spider|pipelines)\.py$|\/test_spider\.py$/.test(target)) return answers.library === 'scrapy';
    if (/\/(crawler|fetch)\.py$|\/test_(crawler|fetch)\.py$/.test(target)) return answers.library === 'requests';
    return true;
  },
});
