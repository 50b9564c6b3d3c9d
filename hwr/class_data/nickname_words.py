"""The words of generated nicknames ("Quick Otter", "Flinker Fuchs", "Renard Rapide",
"Zorro Veloz"): kind adjectives and animals in each language hwr speaks.

Data, not catalog messages: a translator does not translate 60 words one by one, and a
language's list need not match English word for word. Each pair must read as correct
grammar in any combination, without an article:

- en, de: the adjective comes first. Every German animal is masculine and every German
  adjective carries the masculine strong ending (-er), so "Mutiger Igel" is right for
  all 900 pairs.
- fr, es: the adjective follows the noun. Every animal is masculine and every adjective
  in its masculine form, so "Hérisson Curieux" and "Erizo Curioso" agree.

A word is one word (no spaces: a nickname is split at its one space), and the longest
pair fits ``teacher.NICKNAME_MAX`` (a test checks both).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NicknameWords:
    adjectives: tuple[str, ...]
    animals: tuple[str, ...]
    adjective_first: bool  # "Quick Otter"; else "Renard Rapide"

    def nickname(self, adjective: str, animal: str) -> str:
        return f"{adjective} {animal}" if self.adjective_first else f"{animal} {adjective}"

    def is_nickname(self, name: str) -> bool:
        parts = name.split(" ")
        if len(parts) != 2:
            return False
        adjective, animal = parts if self.adjective_first else parts[::-1]
        return adjective in self.adjectives and animal in self.animals


ENGLISH = NicknameWords(
    adjectives=(
        "Quick", "Calm", "Brave", "Bright", "Clever", "Cosy", "Curious", "Gentle", "Happy",
        "Jolly", "Kind", "Lucky", "Merry", "Mighty", "Nimble", "Patient", "Plucky",
        "Polite", "Proud", "Quiet", "Sunny", "Swift", "Tidy", "Witty", "Zippy", "Bold",
        "Busy", "Eager", "Fuzzy", "Snappy",
    ),
    animals=(
        "Otter", "Heron", "Badger", "Beaver", "Robin", "Panda", "Koala", "Lynx", "Puffin",
        "Falcon", "Hedgehog", "Dolphin", "Gecko", "Owl", "Fox", "Hare", "Seal", "Swan",
        "Tiger", "Turtle", "Walrus", "Wombat", "Zebra", "Yak", "Lemur", "Llama", "Moose",
        "Newt", "Quokka", "Raven",
    ),
    adjective_first=True,
)

# Masculine animals (der ...) and adjectives with the masculine strong ending.
GERMAN = NicknameWords(
    adjectives=(
        "Schneller", "Ruhiger", "Mutiger", "Kluger", "Gemütlicher", "Neugieriger",
        "Sanfter", "Fröhlicher", "Lustiger", "Freundlicher", "Glücklicher", "Munterer",
        "Starker", "Flinker", "Geduldiger", "Tapferer", "Höflicher", "Leiser", "Sonniger",
        "Flotter", "Ordentlicher", "Witziger", "Wacher", "Fleißiger", "Eifriger",
        "Flauschiger", "Pfiffiger", "Schlauer", "Heiterer", "Treuer",
    ),
    animals=(
        "Otter", "Fuchs", "Dachs", "Biber", "Igel", "Delfin", "Luchs", "Pinguin", "Hase",
        "Bär", "Elefant", "Tiger", "Löwe", "Wal", "Seehund", "Hamster", "Papagei", "Falke",
        "Adler", "Rabe", "Uhu", "Koala", "Panda", "Gecko", "Schwan", "Specht", "Frosch",
        "Hirsch", "Storch", "Waschbär",
    ),
    adjective_first=True,
)

# Masculine animals (un ...) and masculine adjectives, the adjective after the noun.
FRENCH = NicknameWords(
    adjectives=(
        "Rapide", "Calme", "Courageux", "Brillant", "Malin", "Curieux", "Doux", "Joyeux",
        "Aimable", "Heureux", "Chanceux", "Agile", "Patient", "Poli", "Fier", "Tranquille",
        "Rieur", "Sage", "Vif", "Habile", "Futé", "Enjoué", "Serein", "Souriant", "Câlin",
        "Radieux", "Généreux", "Fidèle", "Espiègle", "Dynamique",
    ),
    animals=(
        "Renard", "Castor", "Blaireau", "Hérisson", "Dauphin", "Lynx", "Panda", "Koala",
        "Pingouin", "Hibou", "Faucon", "Lapin", "Écureuil", "Tigre", "Lion", "Ours",
        "Phoque", "Cygne", "Zèbre", "Lama", "Corbeau", "Héron", "Macareux", "Gecko",
        "Morse", "Kangourou", "Colibri", "Perroquet", "Paon", "Hippocampe",
    ),
    adjective_first=False,
)

# Masculine animals (un ...) and masculine adjectives, the adjective after the noun.
SPANISH = NicknameWords(
    adjectives=(
        "Rápido", "Tranquilo", "Valiente", "Brillante", "Listo", "Curioso", "Amable",
        "Alegre", "Feliz", "Simpático", "Ágil", "Paciente", "Educado", "Sereno", "Risueño",
        "Sabio", "Veloz", "Ingenioso", "Cariñoso", "Juguetón", "Atento", "Bondadoso",
        "Contento", "Divertido", "Gracioso", "Generoso", "Animado", "Despierto", "Tierno",
        "Fiel",
    ),
    animals=(
        "Zorro", "Castor", "Tejón", "Erizo", "Delfín", "Lince", "Panda", "Koala",
        "Pingüino", "Búho", "Halcón", "Conejo", "Tigre", "León", "Oso", "Cisne", "Alce",
        "Cuervo", "Canguro", "Colibrí", "Loro", "Mapache", "Elefante", "Jaguar", "Puma",
        "Ciervo", "Flamenco", "Pulpo", "Tucán", "Suricato",
    ),
    adjective_first=False,
)

NICKNAME_WORDS = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH, "es": SPANISH}
