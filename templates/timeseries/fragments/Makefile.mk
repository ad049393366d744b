# --- time series --------------------------------------------------------------------------
# SOURCE picks the data: co2 (bundled with statsmodels), csv, stock, weather or sqlite.
# Empty means the default chosen at generation time (src/$(PKG)/config.py).
#   make data SOURCE=stock DATA_ARGS="--symbol aapl.us"
#   make data SOURCE=weather DATA_ARGS="--latitude 48.85 --longitude 2.35"
#   make data SOURCE=csv DATA_ARGS="--path my.csv --date-col day --value-col sales"
#   make data SOURCE=sqlite DATA_ARGS="--path ../books-scraper/data/books.db"
SOURCE ?=
DATA_ARGS ?=
ifneq ($(SOURCE),)
export DATA_SOURCE := $(SOURCE)
endif
.PHONY: data

data: ## Fetch or convert a series into data/series.csv (SOURCE=..., DATA_ARGS=...)
	$(PY) -m $(PKG) data $(if $(SOURCE),--source $(SOURCE)) $(DATA_ARGS)
