# --- speech -------------------------------------------------------------------------------
#   make train RNN=lstm                   # the other recurrent layer (default: config.py)
#   make data && make train DATA=data/fsdd   # real recordings (downloads FSDD, CC BY-SA 4.0)
#   make synth DIGITS="4 2 7"             # clip.wav for the upload page, synthetic voice
RNN ?=
DATA ?=
DIGITS ?= 4 2 7
ifneq ($(RNN),)
export TRAIN_RNN := $(RNN)
endif
ifneq ($(DATA),)
export TRAIN_DATA := $(DATA)
endif
.PHONY: data synth

data: ## Download the Free Spoken Digit Dataset into data/fsdd (network)
	$(PY) -m $(PKG) data

synth: ## Write clip.wav saying DIGITS (default "4 2 7") in the synthetic voice
	$(PY) -m $(PKG) synth --digits $(DIGITS) --out clip.wav
