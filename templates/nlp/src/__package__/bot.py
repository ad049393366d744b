"""The bot: classify the message, pull out entities, and let the intent's handler answer.

message -> TextProcessor.normalize -> IntentClassifier.predict_proba -> top intent
        -> below the confidence threshold? fallback answer
        -> else HANDLERS[intent](context) (or the intent's responses in turn)
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import config
from .components import IntentClassifier, TextProcessor
from .data import Dataset, load_intents
from .entities import Entity
from .handlers import HANDLERS, Context, Handler, default_handler, make_geocoder

log = logging.getLogger(__name__)

FALLBACK = "fallback"


@dataclass
class Reply:
    intent: str  # the recognised intent, or "fallback"
    confidence: float  # probability of the top intent (also when falling back)
    entities: list[Entity]
    text: str
    # The classifier's best guess, even when it was not confident enough to act on it.
    top_intent: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "top_intent": self.top_intent,
            "entities": [entity.as_dict() for entity in self.entities],
            "reply": self.text,
        }


@dataclass
class Bot:
    classifier: IntentClassifier
    processor: TextProcessor
    dataset: Dataset
    threshold: float = config.CONFIDENCE_THRESHOLD
    # Injected so that tests (and replays) get the same answers at any time of day.
    clock: Callable[[], datetime] = datetime.now
    geocoder: Any = None
    handlers: dict[str, Handler] = field(default_factory=lambda: dict(HANDLERS))
    _turns: Counter[str] = field(default_factory=Counter, repr=False)

    def classify(self, message: str) -> tuple[str, float]:
        probabilities = self.classifier.predict_proba([self.processor.normalize(message)])[0]
        best = int(probabilities.argmax())
        return self.classifier.classes_[best], float(probabilities[best])

    def reply(self, message: str) -> Reply:
        intent, confidence = self.classify(message)
        entities = self.processor.entities(message)
        if confidence < self.threshold:
            return Reply(FALLBACK, confidence, entities, self.dataset.fallback, intent)
        context = Context(
            message=message,
            entities=entities,
            responses=self.dataset.intents[intent].responses,
            now=self.clock(),
            turn=self._turns[intent],
            geocoder=self.geocoder,
        )
        self._turns[intent] += 1
        handler = self.handlers.get(intent, default_handler)
        return Reply(intent, confidence, entities, handler(context), intent)


def fit_classifier(dataset: Dataset, processor: TextProcessor) -> IntentClassifier:
    texts, labels = dataset.examples()
    return IntentClassifier(seed=config.SEED).fit(
        [processor.normalize(text) for text in texts], labels
    )


def load_bot(model_dir: Path = config.MODEL_DIR) -> tuple[Bot, str]:
    """The bot with the model `make train` saved; without one (a fresh clone or Docker image) it
    trains one at once, which takes seconds. Returns the bot and where its model came from."""
    processor = TextProcessor()
    dataset = load_intents()
    try:
        classifier = IntentClassifier.load(model_dir)
        origin = f"loaded from {model_dir}"
    except FileNotFoundError:
        log.warning("no saved model in %s: training one now (`make train` saves one)", model_dir)
        classifier = fit_classifier(dataset, processor)
        origin = "trained at startup (no saved model)"
    bot = Bot(classifier, processor, dataset, geocoder=make_geocoder())
    return bot, origin
