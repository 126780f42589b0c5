"""Turning medicine text as people type it into words: case, accents, strengths, units, forms.

The same steps apply to catalogue names and to what a patient typed, so that "Co-codamol
30/500", "co codamol 30mg/500mg tabs" and "CO-CODAMOL" all become ``co codamol``.
"""

from __future__ import annotations

import re
import unicodedata


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that join the parts of a combination: "tramadol and paracetamol", "w/ codeine".
CONNECTORS = frozenset({"and", "with", "w"})

# Words about how, when and in what form a medicine is taken: they name no medicine.
NOISE = _words(
    """
    tab tabs tablet tablets cap caps capsule capsules film films patch patches syrup solution
    oral liquid drops drop spray nasal injection inj sr xr er cr mr la xl odt ec dr retard
    modified release
    extended controlled slow immediate ir dose doses daily nightly night morning evening bd bid
    tds tid qds qid od qd qhs hs prn as needed when required per day days week weekly every
    hours hour hrs h hr q4h q6h q8h q12h x times once twice at for pain the of a an to in on by
    mg mcg ug microgram micrograms g ml mls iu unit units mane nocte stat po sl im iv sc topical
    gel cream take taking takes took half sometimes occasionally usually only about approx
    dispersible effervescent soluble chewable sachet sachets powder puff puffs or
    shampoo lotion ointment inhaler inhalers nebuliser nebulizer suppository suppositories
    pessary pessaries lozenge lozenges granules suspension elixir injectable eye ear ears eyes
    inhaled inhalation nebulised nebulized
    """
)
# Words naming the salt, ester, hydrate or preparation a substance comes in, not the substance:
# "morphine sulfate", "mixed amphetamine salts", "opium tincture". They never identify an opioid.
FORM_WORDS = _words(
    """
    salt salts hydrochloride hcl sulfate sulphate phosphate bitartrate tartrate citrate acetate
    bromide hydrobromide maleate mesylate besylate fumarate succinate sodium potassium calcium
    magnesium hydrate monohydrate hemihydrate dihydrate trihydrate anhydrous polistirex tannate
    terephthalate myristate lysine base free tincture linctus mixture compound camphorated
    deodorized concentrate extended release
    """
)
# Words saying a medicine is no longer taken ("tramadol (stopped 2022)"). They name no medicine
# and are not noise: the screen asks for the last-dose date instead of guessing from them.
HISTORY = _words(
    """
    stopped discontinued previously former formerly ex past used quit ceased
    """
)
UNITS = _words(
    """
    mg mcg ug g ml mls iu unit units microgram micrograms h hr tab tabs tablet tablets cap caps
    capsule capsules x times puff puffs drop drops
    """
)
# Words after (or before) a brand that change what the product contains: "Robitussin AC" is
# codeine and guaifenesin, "Tylenol #4" codeine and paracetamol, "Nurofen Plus" codeine and
# ibuprofen. A brand with a qualifier is known only when the whole product name is known.
QUALIFIERS = _words(
    """
    ac dac dm cf pe plus forte max maximum extra strength strong ultra co pm nighttime
    complete advanced compound no1 no2 no3 no4
    """
)
# A small number right after a name, not followed by a unit, names a product: "Tylenol 3".
PRODUCT_NUMBERS = frozenset({"1", "2", "3", "4"})


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"#\s*(\d+)", r" no\1 ", folded)  # "#3" -> "no3"
    folded = re.sub(r"\bno\.\s*(\d)\b", r" no\1 ", folded)  # "No. 3" -> "no3"
    folded = re.sub(r"(\d)([a-z])", r"\1 \2", folded)  # "5mg" -> "5 mg"
    folded = re.sub(r"(\d)[.,](\d)", r"\1\2", folded)  # "37.5" -> "375": one number
    return re.sub(r"[^a-z0-9]+", " ", folded)


def words(text: str) -> list[str]:
    """The words of a medicine line that can name a medicine, in order."""
    raw = _fold(text).split()
    kept: list[str] = []
    for i, word in enumerate(raw):
        if word.isdigit():
            after = raw[i + 1] if i + 1 < len(raw) else ""
            before = raw[i - 1] if i else ""
            if (
                word in PRODUCT_NUMBERS
                and before.isalpha()
                and before not in NOISE
                and before not in CONNECTORS
                and after not in UNITS
                and not after.isdigit()
            ):
                kept.append(f"no{word}")
            continue
        if word in NOISE:
            continue
        kept.append(word)
    return kept


def normalise(text: str) -> str:
    """A catalogue name as the words the matcher compares."""
    return " ".join(w for w in words(text) if w not in CONNECTORS) or ""
