"""A synthetic "speaker" of digit strings, so training needs no download.

Real speech is air pushed through vocal folds (a buzz with harmonics of the pitch) and shaped by
the mouth (resonances called formants), plus hiss for consonants such as "s" and "f". This
module imitates that, crudely: each digit word gets a fixed signature, a consonant noise burst
and a vowel whose two formants glide from one frequency to another. Every clip draws a new
"speaker" (pitch, vocal-tract length, tempo) and new jitter, gaps, gain and background noise, so
the model must learn the signatures, not memorise clips.

It is not speech: a model trained on it transcribes these synthetic clips, not your voice (for
that, `make data` fetches recordings of real speakers, see data.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .text import digits_to_text

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Signature:
    """How one digit word sounds: an optional noise burst, then a vowel, then an optional tail."""

    onset_hz: float  # centre of the initial consonant's noise band; 0 for none
    f1: tuple[float, float]  # first formant, start -> end of the vowel (Hz)
    f2: tuple[float, float]  # second formant, start -> end
    tail_hz: float = 0.0  # a final consonant's noise band ("six", "eight"); 0 for none


# Loosely after the formants of English vowels; what matters is that the ten differ.
SIGNATURES = (
    Signature(5000, (300, 450), (2200, 900)),  # zero
    Signature(0, (350, 650), (800, 1200)),  # one
    Signature(3500, (320, 320), (1300, 900)),  # two
    Signature(2600, (300, 300), (1400, 2300)),  # three
    Signature(1800, (550, 500), (900, 1000)),  # four
    Signature(1800, (750, 400), (1200, 2100)),  # five
    Signature(6000, (400, 400), (1900, 1800), tail_hz=6000),  # six
    Signature(6000, (550, 500), (1800, 1500)),  # seven
    Signature(0, (500, 350), (1900, 2300), tail_hz=3500),  # eight
    Signature(0, (700, 400), (1100, 2000)),  # nine
)


@dataclass(frozen=True)
class Speaker:
    """What changes from clip to clip: pitch, formant scale (vocal-tract length), tempo."""

    pitch_hz: float
    formant_scale: float
    tempo: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> Speaker:
        return cls(
            pitch_hz=rng.uniform(85, 230),
            formant_scale=rng.uniform(0.9, 1.12),
            tempo=rng.uniform(0.8, 1.25),
        )


def _band_noise(n: int, centre: float, rng: np.random.Generator, sr: int) -> np.ndarray:
    """White noise filtered to a band around `centre` Hz (shaped in the frequency domain)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    spectrum *= np.exp(-0.5 * ((freqs - centre) / (0.25 * centre)) ** 2)
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.abs(noise).max() + 1e-9)


def _envelope(n: int, sr: int, ramp_s: float = 0.02) -> np.ndarray:
    """Fade in and out (raised cosine) so segments start and end without clicks."""
    ramp = min(int(ramp_s * sr), n // 2)
    env = np.ones(n)
    if ramp > 0:
        fade = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
        env[:ramp], env[-ramp:] = fade, fade[::-1]
    return env


def _vowel(sig: Signature, speaker: Speaker, n: int, rng: np.random.Generator, sr: int):
    """Harmonics of a wobbling pitch, each weighted by how close it is to the gliding formants."""
    t = np.arange(n) / sr
    # Pitch: the speaker's, a slow vibrato and a random drift (no two digits are identical).
    drift = rng.uniform(-0.08, 0.08)
    f0 = speaker.pitch_hz * (1 + 0.03 * np.sin(2 * np.pi * 5 * t) + drift * t / t[-1])
    phase = (2 * np.pi * np.cumsum(f0) / sr).astype(np.float32)
    # Harmonics up to 4 kHz carry the formants; above that a voice has little energy.
    harmonics = np.arange(1, int(4000 / speaker.pitch_hz) + 1, dtype=np.float32)[:, None]
    # Formants move slowly: weigh the harmonics every 5 ms and interpolate (much faster).
    coarse = np.arange(0, n + 80, 80)
    scale = speaker.formant_scale * rng.uniform(0.97, 1.03, size=2)
    f1 = np.interp(coarse, [0, n], sig.f1) * scale[0]
    f2 = np.interp(coarse, [0, n], sig.f2) * scale[1]
    freq = harmonics * np.interp(coarse, np.arange(n), f0)  # (K, coarse)
    gain = (
        np.exp(-0.5 * ((freq - f1) / 90) ** 2)
        + 0.7 * np.exp(-0.5 * ((freq - f2) / 130) ** 2)
        + 0.02  # a little energy everywhere, as in a real voice
    )
    gain = gain.astype(np.float32)  # float32 from here on: twice as fast
    # Between two weighings the gains are linear in time, so in each block of 80 samples the
    # wave is (1 - frac) * (harmonics weighed at the block's start) + frac * (weighed at its
    # end). Two weighted sums over the harmonics (einsum) instead of a gain for every sample.
    blocks = -(-n // 80)  # ceil(n / 80)
    padded = np.zeros(blocks * 80, dtype=np.float32)
    padded[:n] = phase
    sines = np.sin(harmonics * padded).reshape(len(harmonics), blocks, 80)
    at_start = np.einsum("kb,kbs->bs", gain[:, :blocks], sines)
    at_end = np.einsum("kb,kbs->bs", gain[:, 1 : blocks + 1], sines)
    frac = np.arange(80, dtype=np.float32) / 80
    wave = (at_start * (1 - frac) + at_end * frac).reshape(-1)[:n]
    return wave / (np.abs(wave).max() + 1e-9)


def synthesize_word(digit: int, speaker: Speaker, rng: np.random.Generator, sr: int = SAMPLE_RATE):
    """One spoken digit (about 0.3 s) as float64 samples in [-1, 1]."""
    sig = SIGNATURES[digit]
    duration = 0.32 * speaker.tempo * rng.uniform(0.88, 1.12)
    n = int(duration * sr)
    parts = []
    if sig.onset_hz:
        m = int(n * rng.uniform(0.2, 0.3))
        centre = sig.onset_hz * speaker.formant_scale
        parts.append(0.5 * _band_noise(m, centre, rng, sr) * _envelope(m, sr, 0.01))
        n -= m
    m = int(n * 0.75) if sig.tail_hz else n
    parts.append(_vowel(sig, speaker, m, rng, sr) * _envelope(m, sr))
    if sig.tail_hz:
        k = n - m
        centre = sig.tail_hz * speaker.formant_scale
        parts.append(0.4 * _band_noise(k, centre, rng, sr) * _envelope(k, sr, 0.01))
    return np.concatenate(parts)


def synthesize(
    digits: list[int] | tuple[int, ...],
    rng: np.random.Generator,
    sr: int = SAMPLE_RATE,
    snr_db: float | None = None,
) -> np.ndarray:
    """A clip of `digits` spoken in a row: float32 mono samples at `sr`.

    Random silence before, between and after the words; background noise at `snr_db` (drawn
    from 10..35 dB when None); a random overall gain.
    """
    speaker = Speaker.random(rng)
    pieces = [np.zeros(int(rng.uniform(0.05, 0.3) * sr))]
    for i, digit in enumerate(digits):
        if i:
            pieces.append(np.zeros(int(rng.uniform(0.02, 0.15) * sr)))
        pieces.append(synthesize_word(int(digit), speaker, rng, sr) * rng.uniform(0.6, 1.0))
    pieces.append(np.zeros(int(rng.uniform(0.05, 0.3) * sr)))
    clean = np.concatenate(pieces)
    snr = rng.uniform(10, 35) if snr_db is None else snr_db
    signal_power = np.mean(clean**2) + 1e-12
    noise = rng.standard_normal(len(clean)) * np.sqrt(signal_power / 10 ** (snr / 10))
    wave = clean + noise
    wave *= rng.uniform(0.2, 0.9) / (np.abs(wave).max() + 1e-9)
    return wave.astype(np.float32)


def random_example(
    rng: np.random.Generator, min_digits: int = 1, max_digits: int = 6, sr: int = SAMPLE_RATE
) -> tuple[np.ndarray, str]:
    """A clip of a random digit string and its transcript ("four two seven")."""
    digits = rng.integers(0, 10, size=rng.integers(min_digits, max_digits + 1)).tolist()
    return synthesize(digits, rng, sr), digits_to_text(digits)
