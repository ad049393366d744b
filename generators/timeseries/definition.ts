import { defineProject } from '../../core/definition.js';
import type { OptionSpec } from '../../core/options.js';

const options = [
  {
    name: 'horizon',
    type: 'integer',
    description: 'Months forecast ahead: the backtest horizon and the default h of GET /forecast.',
    message: 'Forecast horizon (months)',
    min: 1,
    max: 60,
    default: 24,
  },
  {
    name: 'source',
    type: 'choice',
    description: 'Where `make data` gets the series; co2 ships inside statsmodels and needs no download.',
    message: 'Data source',
    choices: [
      { value: 'co2', description: "statsmodels' Mauna Loa CO2 (ships with the package; offline)" },
      { value: 'csv', description: 'your own CSV file (date and value columns)' },
      { value: 'stock', description: 'daily stock closes over HTTP (make data)' },
      { value: 'weather', description: 'daily temperatures from a weather API (make data)' },
      { value: 'sqlite', description: "daily mean price from the scraper project's SQLite database" },
    ],
    default: 'co2',
  },
] as const satisfies readonly OptionSpec[];

export default defineProject({
  kind: 'timeseries',
  summary: 'Time-series forecasting: seasonal-naive, Holt-Winters, SARIMA and a tuned random forest, backtested and served as JSON.',
  defaultName: 'timeseries-forecaster',
  defaultDescription: 'Monthly forecasting with statistical and machine-learning models, backtested against a seasonal-naive baseline.',
  options,
  requirements: () => ['timeseries'],
  // test_tracking.py reads the runs back from MLflow; the kit's test_tracking_interface.py
  // covers the other trackers.
  include: (target, answers) => target !== 'tests/test_tracking.py' || answers.tracker === 'mlflow',
});
