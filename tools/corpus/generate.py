#!/usr/bin/env python3
"""Deterministic synthetic English corpus for Ember's small shipped model.

The corpus is simple English built from templates and seeded random choices:

* short stories (characters, places, simple plots, dialogue, a moral now and then),
* facts about an invented world of towns, landmarks and people
  ("The town of Varneth lies east of the Silver River. Its people grow apples."),
* question-answer pairs, either grounded in that world (the facts never change, so a
  model can learn them) or in a short passage given just before the questions
  (reading comprehension: the answer must be copied from the context),
* labelled sentences for classification, in a fixed format::

      Review: The soup at the inn was warm and tasty.
      Sentiment: positive

      Text: The goat climbed the steep hill to eat the grass.
      Topic: animals

Output (``--out``, default ``/tmp/ember-corpus``; the corpus is never committed):

``train.txt`` / ``test.txt``
    UTF-8 documents separated by one blank line (``"\\n\\n"``). No document contains a
    blank line, so ``text.split("\\n\\n")`` recovers them. Documents may contain single
    newlines (question/answer lines, labelled items). A trainer wraps each document as
    ``<|bos|> document <|eos|>``.
``labels-test.jsonl``
    Held-out labelled sentences for zero-shot classification, one JSON object per line:
    ``{"text", "label", "task": "sentiment"|"topic", "prompt", "choices"}``. ``prompt`` is
    the text to score and ``choices`` the label continuations (with their leading space),
    e.g. ``"Review: ...\\nSentiment:"`` and ``[" positive", " negative"]``. None of these
    sentences occurs anywhere in train.txt.
``stats.json``
    Sizes, document counts per kind, the seed and the command line.

The test split comes from its own random stream (``seed + 1``) over the same world, and a
test document whose text also occurs in train.txt is dropped, so test perplexity measures
generalisation to new combinations rather than recall of seen documents.

Usage::

    python3 tools/corpus/generate.py --out /tmp/ember-corpus --size-mb 30 --seed 1234

The same seed and size give byte-identical output (Python's ``random.Random`` is stable
across platforms and versions for the calls used here).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field

SEPARATOR = "\n\n"
"""Documents are separated by one blank line."""

SENTIMENT_LABELS = ("positive", "negative")
TOPIC_LABELS = ("animals", "food", "weather", "sports", "school")

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

GIRLS = ["Lily", "Mia", "Anna", "Lucy", "Emma", "Zoe", "Sara", "Ella", "Ruby", "Rosa", "Nina", "Kate",
         "Amy", "Ivy", "Maya", "Lena", "Jane", "Molly", "Daisy", "Grace", "Hana", "Tara", "Olive", "June"]
BOYS = ["Tom", "Sam", "Ben", "Max", "Leo", "Jack", "Tim", "Finn", "Noah", "Owen", "Luke", "Adam",
        "Eli", "Hugo", "Jon", "Ravi", "Omar", "Theo", "Paul", "Dan", "Milo", "Kai", "Ned", "Ike"]
ANIMAL_KINDS = ["rabbit", "fox", "bear", "cat", "dog", "duck", "mouse", "owl", "frog", "pig", "goat",
                "squirrel", "turtle", "lamb", "puppy", "kitten", "bird", "deer", "hen", "cow"]
ANIMAL_NAMES = ["Pip", "Bo", "Nutmeg", "Clover", "Biscuit", "Pepper", "Tilly", "Rusty", "Button",
                "Hazel", "Sunny", "Moss", "Patch", "Dot", "Fern", "Bean", "Toffee", "Socks"]
COLORS = ["red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "white", "black"]
TOYS = ["ball", "kite", "hat", "doll", "car", "boat", "drum", "book", "scarf", "bell", "shell",
        "box", "cup", "ribbon", "spoon", "teddy bear", "whistle", "bucket", "blanket", "marble"]
PLACES = ["park", "forest", "beach", "garden", "farm", "river", "meadow", "market", "hill",
          "pond", "library", "village", "field", "yard", "zoo", "lake"]
HIDING_SPOTS = ["under a big rock", "behind the old tree", "in a pile of leaves", "under the bench",
                "next to the pond", "in the tall grass", "behind a bush", "under the bridge",
                "inside a hollow log", "near the gate", "on top of the wall", "by the flowers"]
FEELINGS_GOOD = ["happy", "glad", "proud", "excited", "calm", "cheerful"]
FEELINGS_BAD = ["sad", "scared", "upset", "worried", "lonely", "grumpy"]
ADJ_SIZE = ["little", "big", "small", "tiny", "tall", "young", "old"]
ADJ_CHAR = ["kind", "brave", "curious", "shy", "funny", "clever", "gentle", "busy", "quiet", "silly"]
FOODS = ["apples", "bread", "soup", "cake", "cookies", "pie", "rice", "carrots", "cheese", "honey",
         "pears", "berries", "pancakes", "beans", "plums", "noodles", "grapes", "eggs", "corn", "jam"]
MEALS = ["breakfast", "lunch", "dinner", "a snack"]
SKILLS = ["read a new word", "count to twenty", "tie a knot", "draw a horse", "sing a song",
          "write a letter", "swim across the pond", "ride a bike", "plant a seed", "fly a kite"]
MORALS = ["Friends help each other.", "It is good to share.", "Being kind makes everyone happy.",
          "Never give up.", "It is okay to ask for help.", "Slow and steady wins the race.",
          "Be careful, and listen to others.", "A friend in need is a friend indeed.",
          "Telling the truth is always best.", "Trying new things can be fun."]
TIME_OPENERS = ["Once upon a time,", "One day,", "Long ago,", "One sunny morning,", "One rainy day,",
                "Last summer,", "One cold winter night,", "Every morning,", "One afternoon,", "Every night,"]

# World building blocks.
SYL_A = ["Var", "Bel", "Cor", "Dun", "El", "Fen", "Gal", "Har", "Ist", "Kel", "Lor", "Mar", "Nor",
         "Ost", "Pel", "Quin", "Ros", "Sel", "Tam", "Ul", "Wen", "Yar", "Zel", "Bran", "Cal", "Dra",
         "Ev", "Gor", "Hal", "Lin", "Mor", "Pra", "Tor", "Ash", "Brin", "Car", "Del", "Eld"]
SYL_B = ["neth", "ford", "wick", "holm", "dale", "mere", "ton", "by", "moor", "stead", "ridge",
         "vale", "brook", "haven", "field", "gate", "well", "crest", "hollow", "worth"]
LANDMARK_COLORS = ["Silver", "Red", "Green", "Grey", "Golden", "Black", "White", "Blue", "Amber"]
LANDMARK_KINDS = [("River", "the"), ("Hills", "the"), ("Lake", "the"), ("Forest", "the"),
                  ("Mountains", "the"), ("Marsh", "the"), ("Road", "the"), ("Bay", "the")]
DIRECTIONS = ["north", "south", "east", "west"]
CROPS = ["apples", "wheat", "pears", "beans", "grapes", "corn", "plums", "carrots", "rice",
         "berries", "cabbages", "onions", "potatoes", "oats", "pumpkins", "olives", "cherries", "barley"]
CRAFTS = ["boats", "pots", "baskets", "rope", "cloth", "cheese", "bread", "chairs", "bells",
          "candles", "shoes", "paper", "lamps", "blankets", "tools", "glass"]
HERDS = ["goats", "sheep", "cows", "ducks", "bees", "horses", "pigs", "hens", "geese", "donkeys"]
TOWN_SIZES = [("small village", "a small village"), ("quiet town", "a quiet town"),
              ("busy town", "a busy town"), ("large city", "a large city"), ("old port", "an old port")]
SEASONS = ["spring", "summer", "autumn", "winter"]
WEATHER_KINDS = ["rainy", "windy", "sunny", "foggy", "snowy", "mild"]
JOBS = ["baker", "farmer", "fisher", "teacher", "smith", "weaver", "doctor", "painter", "miller",
        "potter", "sailor", "guard", "builder", "singer", "cook", "gardener"]
PETS = ["a cat", "a dog", "a parrot", "a goat", "a tortoise", "a rabbit", "a pony", "a goose",
        "no pets", "a hedgehog", "two cats", "three hens"]
PERSON_FIRST = ["Orla", "Bram", "Tessa", "Edric", "Mira", "Hollis", "Wren", "Cato", "Isla", "Dorian",
                "Petra", "Alden", "Nell", "Rowan", "Sable", "Fitz", "Greta", "Joss", "Linnea", "Marek",
                "Odette", "Piers", "Quill", "Rhea", "Silas", "Thea", "Ulric", "Vera", "Wilmer", "Yara",
                "Anselm", "Briony", "Cyril", "Delia", "Emrys", "Flora", "Gideon", "Hester", "Ivo", "Jessa"]
PERSON_LAST = ["Fenn", "Ashby", "Crane", "Dell", "Marsh", "Thorne", "Hale", "Brook", "Vane", "Pike",
               "Rook", "Stone", "Wells", "Finch", "Lark", "Moss", "Reed", "Frost", "Holt", "Sparrow"]

# Labelled-sentence vocabulary.
POS_ADJ = ["wonderful", "great", "lovely", "amazing", "delightful", "excellent", "fantastic", "pleasant",
           "charming", "perfect", "beautiful", "fun", "bright", "cozy", "friendly"]
NEG_ADJ = ["terrible", "awful", "boring", "horrible", "dreadful", "dull", "nasty", "miserable",
           "disappointing", "gloomy", "rude", "broken", "dirty", "unpleasant", "poor"]
POS_TASTE = ["tasty", "delicious", "fresh", "sweet", "warm", "rich", "crisp", "perfect"]
NEG_TASTE = ["cold", "bland", "stale", "burnt", "salty", "soggy", "sour", "tasteless"]
POS_VERB = ["loved", "enjoyed", "liked", "adored", "was thrilled by", "had fun with"]
NEG_VERB = ["hated", "disliked", "was bored by", "regretted", "was annoyed by", "could not stand"]
POS_END = ["I would go again.", "We will come back soon.", "Everyone smiled.", "It made my day.",
           "I want to do it again.", "I recommend it.", "We left with big smiles."]
NEG_END = ["I will not go again.", "We left early.", "Nobody smiled.", "It ruined my day.",
           "I want my money back.", "I do not recommend it.", "We went home upset."]
REVIEW_THINGS = ["the soup", "the bread", "the park", "the show", "the game", "the trip", "the class",
                 "the book", "the hotel", "the lesson", "the zoo", "the picnic", "the concert",
                 "the new teacher", "the match", "the film", "the cafe", "the beach", "the ride",
                 "the festival", "the weather", "the puppy", "the toy", "the music", "the party"]
EVENTS = ["the fair", "the party", "the match", "the concert", "the picnic", "the beach", "the zoo",
          "the festival", "the trip", "the game", "the show", "the lesson", "the market"]
EVENT_PLACES = ["at the inn", "at the fair", "in the market", "at school", "at the stadium",
                "by the lake", "in town", "at the farm", "at the cafe", "on the train"]

TOPIC_VOCAB = {
    "animals": dict(
        subj=["The goat", "A fox", "The old horse", "A little duck", "The brown bear", "A gray wolf",
              "The cat", "A young deer", "The frog", "An owl", "The rabbit", "A tiny mouse", "The cow",
              "A white swan", "The hedgehog", "A busy beaver", "The lamb", "A spotted dog"],
        verb=["ran across", "slept in", "hid in", "looked for food in", "jumped over", "built a nest in",
              "drank water from", "walked slowly through", "played in", "hunted near"],
        obj=["the meadow", "the barn", "the forest", "the pond", "the tall grass", "the river",
             "the field", "its burrow", "the hollow tree", "the muddy bank"],
        extra=["It has soft fur.", "It has long ears.", "Its babies are called cubs.", "It eats seeds and nuts.",
               "It sleeps all winter.", "It can swim very well.", "It lives in a den.", "It has sharp claws.",
               "Its feathers keep it warm.", "It likes to eat grass."],
    ),
    "food": dict(
        subj=["My aunt", "The cook", "Grandma", "The baker", "Dad", "The chef", "Mom", "My brother",
              "The farmer", "Our neighbor", "The girl", "The boy"],
        verb=["baked", "cooked", "sliced", "stirred", "served", "made", "tasted", "mixed", "fried", "boiled"],
        obj=["a pot of soup", "fresh bread", "a pan of eggs", "a bowl of rice", "an apple pie",
             "some noodles", "a plate of beans", "a loaf of bread", "a big salad", "pancakes with jam",
             "a cheese sandwich", "carrot cake", "a pot of stew", "plum jam"],
        extra=["It needs salt and butter.", "We ate it for dinner.", "The kitchen smelled of onions.",
               "You need flour, milk and eggs.", "Add the sugar slowly.", "Serve it warm with bread.",
               "We shared it at lunch.", "It cooks for ten minutes.", "The recipe uses three eggs."],
    ),
    "weather": dict(
        subj=["Dark clouds", "A cold wind", "Heavy rain", "Thick fog", "The bright sun", "Soft snow",
              "A big storm", "Thunder", "Warm air", "The north wind", "Light drizzle", "A rainbow"],
        verb=["covered", "blew over", "fell on", "rolled over", "shone on", "swept across", "came to",
              "hung over", "moved across", "appeared above"],
        obj=["the town", "the hills", "the valley", "the sea", "the fields", "the city", "the coast",
             "the mountains", "the village", "the sky"],
        extra=["The forecast says rain tomorrow.", "It was very cold this morning.", "Take an umbrella today.",
               "The temperature will drop tonight.", "The sky is clear and blue.", "Snow will fall in the hills.",
               "The wind will be strong later.", "Summer days are long and hot.", "The clouds are gray."],
    ),
    "sports": dict(
        subj=["The team", "Our coach", "The goalkeeper", "The runner", "The players", "The captain",
              "The swimmer", "The home side", "The young player", "The referee", "The striker"],
        verb=["won", "lost", "played", "trained for", "scored in", "ran in", "practiced for",
              "cheered at", "prepared for", "finished"],
        obj=["the match", "the final", "the race", "the game", "the big cup", "the season",
             "the tournament", "the relay", "the second half", "the first round"],
        extra=["The score was two to one.", "She kicked the ball into the net.", "He threw the ball very far.",
               "The crowd cheered loudly.", "They ran ten laps of the track.", "The whistle blew at the end.",
               "The team wore red shirts.", "He hit the ball with the bat.", "She jumped over the high bar."],
    ),
    "school": dict(
        subj=["The teacher", "The students", "Our class", "The principal", "My classmate", "The children",
              "The new pupil", "Ms. Green", "Mr. Brown", "The whole school"],
        verb=["studied", "read", "wrote", "finished", "learned", "practiced", "handed in", "talked about",
              "prepared for", "worked on"],
        obj=["the math test", "a history lesson", "their homework", "a spelling quiz", "the science project",
             "a new chapter", "the reading list", "a map of the world", "the art class", "the exam"],
        extra=["The bell rang at nine.", "She wrote on the board.", "We sat at our desks.",
               "The lesson was about numbers.", "He forgot his pencil.", "The library was quiet.",
               "Homework is due on Monday.", "The class went on a trip to the museum.", "We learned to add."],
    ),
}


def a_or_an(word: str) -> str:
    """The indefinite article for ``word``."""
    return "an" if word[0].lower() in "aeiou" else "a"


MASS_NOUNS = {"bread", "soup", "cake", "pie", "rice", "cheese", "honey", "corn", "jam", "wheat", "rope",
              "cloth", "paper", "glass", "barley"}


def was(noun: str) -> str:
    """'was' or 'were' for a bare food or goods noun ("the apples were", "the soup was")."""
    return "was" if noun in MASS_NOUNS or not noun.endswith("s") else "were"


def cap(s: str) -> str:
    """Capitalises the first character only."""
    return s[:1].upper() + s[1:]


# ---------------------------------------------------------------------------------------------
# The invented world (fixed by --world-seed, shared by the train and test splits)
# ---------------------------------------------------------------------------------------------

@dataclass
class Town:
    """One invented town and its fixed facts."""
    name: str
    landmark: str
    direction: str
    crop: str
    craft: str
    herd: str
    size: tuple
    season: str
    weather: str
    neighbor: str = ""
    neighbor_dir: str = ""


@dataclass
class Person:
    """One invented person and their fixed facts."""
    name: str
    first: str
    she: bool
    town: str
    job: str
    pet: str
    food: str
    friend: str = ""


@dataclass
class World:
    """All towns, landmarks and people; facts never change within one world seed."""
    towns: list = field(default_factory=list)
    people: list = field(default_factory=list)
    landmarks: list = field(default_factory=list)

    @staticmethod
    def build(seed: int, n_towns: int = 60, n_people: int = 160) -> "World":
        """Builds the world deterministically from ``seed``."""
        rng = random.Random(seed)
        w = World()
        w.landmarks = sorted({f"the {c} {k}" for c in LANDMARK_COLORS for k, _ in LANDMARK_KINDS})
        rng.shuffle(w.landmarks)
        w.landmarks = w.landmarks[:24]
        names = set()
        while len(names) < n_towns:
            names.add(rng.choice(SYL_A) + rng.choice(SYL_B))
        for name in sorted(names):
            w.towns.append(Town(name=name, landmark=rng.choice(w.landmarks), direction=rng.choice(DIRECTIONS),
                                crop=rng.choice(CROPS), craft=rng.choice(CRAFTS), herd=rng.choice(HERDS),
                                size=rng.choice(TOWN_SIZES), season=rng.choice(SEASONS),
                                weather=rng.choice(WEATHER_KINDS)))
        rng.shuffle(w.towns)
        opposite = {"north": "south", "south": "north", "east": "west", "west": "east"}
        for i, t in enumerate(w.towns):  # pair towns as neighbours, consistently in both directions
            if t.neighbor:
                continue
            partner = next((u for u in w.towns[i + 1:] if not u.neighbor), None)
            if partner:
                d = rng.choice(DIRECTIONS)
                t.neighbor, t.neighbor_dir = partner.name, d
                partner.neighbor, partner.neighbor_dir = t.name, opposite[d]
        used = set()
        while len(w.people) < n_people:
            first, last = rng.choice(PERSON_FIRST), rng.choice(PERSON_LAST)
            if (first, last) in used:
                continue
            used.add((first, last))
            w.people.append(Person(name=f"{first} {last}", first=first, she=first in SHE_NAMES,
                                   town=rng.choice(w.towns).name, job=rng.choice(JOBS), pet=rng.choice(PETS),
                                   food=rng.choice(FOODS)))
        for p in w.people:
            p.friend = rng.choice([q for q in w.people if q is not p]).name
        return w

    def town(self, name: str) -> Town:
        """The town called ``name``."""
        return next(t for t in self.towns if t.name == name)


SHE_NAMES = {"Orla", "Tessa", "Mira", "Wren", "Isla", "Petra", "Nell", "Sable", "Greta", "Linnea", "Odette",
             "Rhea", "Thea", "Vera", "Yara", "Briony", "Delia", "Flora", "Hester", "Jessa"}


# ---------------------------------------------------------------------------------------------
# Document generators
# ---------------------------------------------------------------------------------------------

class Generator:
    """Produces documents of every kind from one random stream over one world."""

    def __init__(self, world: World, rng: random.Random):
        self.w = world
        self.r = rng

    # -- helpers ------------------------------------------------------------------------------

    def pick(self, seq):
        """One random element."""
        return self.r.choice(seq)

    def hero(self, avoid: str = ""):
        """A story character: (name, she, description, kind) — a child or a named animal.

        ``avoid`` is a name already in the story; the new character never shares it.
        """
        r = self.r
        while True:
            if r.random() < 0.6:
                she = r.random() < 0.5
                name = r.choice(GIRLS if she else BOYS)
                kind = "girl" if she else "boy"
                adj = r.choice(ADJ_SIZE + ADJ_CHAR)
            else:
                kind, name, she = r.choice(ANIMAL_KINDS), r.choice(ANIMAL_NAMES), r.random() < 0.5
                adj = r.choice(ADJ_SIZE + ADJ_CHAR)
            if name != avoid:
                return name, she, f"{a_or_an(adj)} {adj} {kind} named {name}", kind

    @staticmethod
    def pro(she: bool):
        """Pronouns (subject, object, possessive)."""
        return ("she", "her", "her") if she else ("he", "him", "his")

    # -- stories -----------------------------------------------------------------------------

    def story(self) -> str:
        """A short story from one of several plot skeletons."""
        plot = self.pick([self.story_lost, self.story_friend, self.story_weather, self.story_cooking,
                          self.story_race, self.story_school, self.story_journey, self.story_rescue,
                          self.story_ruler, self.story_pair])
        return plot()

    def _opening(self, desc: str, place: str) -> str:
        """The first sentence(s) of a story introducing ``desc`` ("a little fox named Pip") at ``place``."""
        name = desc.rsplit(" named ", 1)[1]
        what = desc.rsplit(" named ", 1)[0]
        opener = self.pick(TIME_OPENERS)
        k = self.r.randrange(10)
        if k <= 1:
            opener = self.pick(["Once upon a time,", "Long ago,"])
            s = f"{opener} there was {desc} who lived near {a_or_an(place)} {place}."
        elif k <= 3:
            s = cap(f"{opener} {desc} went to the {place}.")
        elif k == 4:
            s = f"{name} went to the {place}. {name} was {what}."
        elif k == 5:
            s = f"{opener} {name} went to the {place}. {name} was {what}."
        elif k == 6:
            s = f"There was a big tree near the {place}. Under the tree lived {desc}."
        elif k == 7:
            s = f'Mom said, "Let us go to the {place} today!" {name}, {what}, was so happy.'
        elif k == 8:
            s = f"It was raining, so {desc} stayed inside. When the rain stopped, {name} went to the {place}."
        else:
            s = f"The sun was warm, and {desc} went to the {place}."
        if self.r.random() < 0.3:  # "The little dog loved to play."
            s += f" The {what.split(' ', 1)[1]} loved to {self.pick(['play', 'run', 'sing', 'jump', 'read', 'explore'])}."
        return s

    def _ending(self, names: str) -> str:
        r = self.r
        s = self.pick([f"{names} were very happy.", f"From that day on, {names} were best friends.",
                       f"{names} smiled all the way home.", f"That night, {names} slept well.",
                       f"It was the best day ever for {names}."])
        if r.random() < 0.4:
            s += " " + self.pick(MORALS)
        return s

    def story_lost(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        fname, fshe, _, fkind = self.hero(avoid=name)
        color, toy, place, spot = self.pick(COLORS), self.pick(TOYS), self.pick(PLACES), self.pick(HIDING_SPOTS)
        lines = [self._opening(desc, place),
                 f"{cap(p)} favorite toy was {a_or_an(color)} {color} {toy}.",
                 self.pick([f"{name} took the {toy} everywhere.", f"{name} loved the {toy} very much.",
                            f"{cap(s)} played with it every day."]),
                 self.pick([f"One day, {name} played with the {toy} at the {place} and lost it.",
                            f"But when it was time to go home, the {toy} was gone.",
                            f"Then the wind blew, and the {toy} was lost."]),
                 f"{name} felt {self.pick(FEELINGS_BAD)}.",
                 self.pick([f'"Where is my {toy}?" {s} cried.', f'"I cannot find my {toy}," {s} said.']),
                 f"{fname} the {fkind} saw {o} and came to help.",
                 self.pick([f'"Let us look together," said {fname}.', f'"Do not worry, I will help you," said {fname}.']),
                 f"They looked everywhere. At last, they found the {color} {toy} {spot}.",
                 f'"Thank you, {fname}!" said {name}.',
                 self._ending(f"{name} and {fname}")]
        return " ".join(lines)

    def story_friend(self) -> str:
        name, she, desc, kind = self.hero()
        s, o, p = self.pro(she)
        fname, fshe, fdesc, fkind = self.hero(avoid=name)
        place = self.pick(PLACES)
        trait = self.pick(ADJ_CHAR)
        game = self.pick(["hide and seek", "tag", "ball", "a game of catch", "in the sand", "with a kite"])
        lines = [self._opening(desc, place),
                 f"{name} was {trait}, but {s} had no friends.",
                 self.pick([f"{cap(s)} felt {self.pick(FEELINGS_BAD)}.", f"{cap(s)} wanted a friend to play with."]),
                 f"Then {name} met {fdesc}.",
                 self.pick([f"At first, {name} was shy.", f"{name} was afraid to say hello."]),
                 f'"Hello," said {fname}. "Do you want to play?"',
                 f'"Yes, please!" said {name}.',
                 f"They played {game} until the sun went down.",
                 self._ending(f"{name} and {fname}")]
        return " ".join(lines)

    def story_weather(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        place = self.pick(["beach", "park", "hill", "lake", "meadow", "farm"])
        food = self.pick(FOODS)
        bad = self.pick([("dark clouds came and it began to rain", "a big tree", "the rain stopped"),
                         ("a strong wind began to blow", "a wall", "the wind stopped"),
                         ("it started to snow", "a small hut", "the snow stopped"),
                         ("thunder rumbled in the sky", "a cave", "the storm passed")])
        lines = [self._opening(desc, place),
                 f"{cap(s)} went with {p} {self.pick(['mom', 'dad', 'grandma', 'grandpa', 'big sister', 'uncle'])}.",
                 f"The sky was blue and the sun was warm. They had {food} for {self.pick(MEALS)}.",
                 f"Suddenly, {bad[0]}.",
                 f"{name} felt {self.pick(FEELINGS_BAD)}. They ran to hide under {bad[1]}.",
                 f"Soon {bad[2]}.",
                 self.pick(["They saw a big rainbow in the sky.", "The sun came out again.",
                            "Everything was fresh and clean."]),
                 self._ending(f"{name} and {p} family")]
        return " ".join(lines)

    def story_cooking(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        dish = self.pick(["a cake", "a pie", "some cookies", "soup", "pancakes", "bread", "a salad"])
        who = self.pick(["mom", "dad", "grandma", "a friend", "the teacher", "a neighbor"])
        ings = self.r.sample(["flour", "eggs", "milk", "sugar", "butter", "apples", "carrots", "honey",
                              "salt", "berries", "cheese", "onions"], 3)
        lines = [self._opening(desc, "kitchen" if self.r.random() < 0.5 else self.pick(PLACES)),
                 f"{name} wanted to make {dish} for {p} {who}." if who not in ("a friend", "a neighbor", "the teacher")
                 else f"{name} wanted to make {dish} for {who}.",
                 f"{cap(s)} got {ings[0]}, {ings[1]} and {ings[2]}.",
                 self.pick([f"{cap(s)} mixed everything in a big bowl.", f"{cap(s)} stirred and stirred."]),
                 self.pick([f"Oh no! The {ings[0]} fell on the floor and made a mess.",
                            f"But {s} forgot to watch the oven, and it smelled of smoke."]),
                 f"{name} felt {self.pick(FEELINGS_BAD)}, but {s} did not give up.",
                 f"{cap(s)} tried again, slowly and carefully.",
                 f"This time the {dish.split(' ')[-1]} was {self.pick(POS_TASTE)}.",
                 f"{name} shared it with everyone.",
                 self._ending("They")]
        return " ".join(lines)

    def story_race(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        fname, fshe, fdesc, fkind = self.hero(avoid=name)
        goal = self.pick(["the big tree", "the old bridge", "the red barn", "the top of the hill", "the pond"])
        lines = [self._opening(desc, self.pick(PLACES)),
                 f"There {name} met {fdesc}.",
                 f'"Let us have a race to {goal}!" said {fname}.',
                 f'"Ready, set, go!" They ran as fast as they could.',
                 f"{name} was ahead, but then {s} tripped on a stone and fell.",
                 self.pick([f'"Ouch!" said {name}.', f"{cap(p)} knee hurt."]),
                 f"{fname} stopped running and came back to help {o}.",
                 f"They walked to {goal} together, side by side.",
                 self.pick(["Nobody won the race, but nobody minded.", "They both laughed at the end."]),
                 self._ending(f"{name} and {fname}")]
        return " ".join(lines)

    def story_school(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        teacher = self.pick(["Ms. Green", "Mr. Brown", "Ms. Rose", "Mr. Hill", "Ms. Lake", "Mr. Fox"])
        fname = self.pick(GIRLS + BOYS)
        if fname == name:
            fname = "Ruby"
        skill = self.pick(SKILLS)
        opener = self.pick(["One day,", "One morning,", "Last autumn,", "On a Monday,", "Long ago,"])
        lines = [f"{opener} it was {name}'s first day at school.",
                 f"{name} felt {self.pick(['nervous', 'shy', 'scared', 'worried'])}.",
                 f"The teacher, {teacher}, smiled and said, \"Welcome to our class!\"",
                 f"{name} sat next to {fname}.",
                 f'"Hi, I am {fname}," said {fname}. "Do you want to be friends?"',
                 f"That day, the class learned to {skill}.",
                 f"At first it was hard, but {name} tried again and again.",
                 f"Soon {s} could {skill} too!",
                 f"{name} felt {self.pick(FEELINGS_GOOD)}.",
                 self._ending(f"{name} and {fname}")]
        return " ".join(lines)

    def story_journey(self) -> str:
        """A trip between two towns of the world; repeats the towns' facts consistently."""
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        a, b = self.r.sample(self.w.towns, 2)
        lines = [cap(f"{self.pick(TIME_OPENERS)} {desc} lived in {a.name}."),
                 f"{a.name} is {a.size[1]} {a.direction} of {a.landmark}.",
                 f"One day, {name} went on a trip to {b.name}.",
                 f"{cap(s)} walked past {b.landmark}, and {s} saw many {b.herd} on the way.",
                 f"In {b.name}, the people grow {b.crop} and make {b.craft}.",
                 self.pick([f"{name} bought some {b.craft} at the market.",
                            f"{name} ate fresh {b.crop} with a kind family.",
                            f"{name} helped a farmer pick {b.crop}."]),
                 f"It was {b.weather} in {b.name} that day." if b.weather != "mild" else f"The weather in {b.name} was mild.",
                 f"When {name} came home to {a.name}, {s} told everyone about the trip.",
                 self._ending(f"{name} and {p} friends")]
        return " ".join(lines)

    def story_rescue(self) -> str:
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        animal = self.pick(["bird", "kitten", "puppy", "duckling", "lamb", "baby rabbit", "turtle"])
        trouble = self.pick([("stuck in a tree", "climbed up carefully and carried it down"),
                             ("caught in a net", "untied the net slowly"),
                             ("lost in the rain", "wrapped it in a warm blanket"),
                             ("hurt its leg", "took it to the vet"),
                             ("stuck in the mud", "pulled it out gently")])
        lines = [self._opening(desc, self.pick(PLACES)),
                 f"{name} heard a small sound. It was {a_or_an(animal)} {animal} {trouble[0]}.",
                 f"The {animal} looked {self.pick(FEELINGS_BAD)}.",
                 f'"Do not be afraid," said {name}. "I will help you."',
                 f"{cap(s)} {trouble[1]}.",
                 f"The {animal} was safe now.",
                 self.pick([f"Every day after that, the {animal} came to visit {name}.",
                            f"{name} named the {animal} {self.pick(ANIMAL_NAMES)}."]),
                 self._ending(f"{name} and the {animal}")]
        return " ".join(lines)

    def story_ruler(self) -> str:
        """A king or queen of a world town, a lost treasure and a reward made of the town's goods."""
        name, she, desc, _ = self.hero()
        s, o, p = self.pro(she)
        t = self.pick(self.w.towns)
        ruler = self.pick(["king", "queen"])
        rs = "he" if ruler == "king" else "she"
        color, toy, spot = self.pick(COLORS), self.pick(["crown", "ring", "key", "bell", "cup"]), self.pick(HIDING_SPOTS)
        opener = self.pick(["Long ago, the", "Once upon a time, the", "One day, the", "The"])
        lines = [f"{opener} {ruler} of {t.name} was very {self.pick(FEELINGS_BAD)}.",
                 f"The {ruler} had lost {a_or_an(color)} {color} {toy}.",
                 f'"Whoever finds my {toy} will get a basket of {t.crop}!" {rs} said.',
                 f"Everyone in {t.name} looked for it, but nobody could find it.",
                 f"Then {desc} came to help.",
                 f"{name} looked everywhere. At last, {s} found the {toy} {spot}.",
                 f"The {ruler} was so {self.pick(FEELINGS_GOOD)}. {cap(rs)} gave {name} a basket of {t.crop} and some fine {t.craft}.",
                 self._ending(f"{name} and the {ruler}")]
        return " ".join(lines)

    def story_pair(self) -> str:
        """Two friends quarrel over a toy, then make up and share."""
        a, ashe, _, _ = self.hero()
        b, bshe, _, _ = self.hero(avoid=a)
        place, color, toy = self.pick(PLACES), self.pick(COLORS), self.pick(TOYS)
        act = self.pick(["play", "run", "sing", "draw", "read", "build things", "look for shells"])
        lines = [f"{a} and {b} were best friends. They liked to {act} at the {place}.",
                 f"One day, they found {a_or_an(color)} {color} {toy}.",
                 f'"It is mine!" said {a}. "No, it is mine!" said {b}.',
                 f"They pulled and pulled, and they were both {self.pick(FEELINGS_BAD)}.",
                 self.pick([f"Then {a} stopped. \"I am sorry,\" {self.pro(ashe)[0]} said. \"Let us share it.\"",
                            f"Then {b} said, \"We can take turns.\""]),
                 f"So they played with the {toy} together.",
                 self._ending(f"{a} and {b}")]
        return " ".join(lines)

    # -- world facts ---------------------------------------------------------------------------

    def town_facts(self, t: Town, n: int | None = None) -> list:
        """Sentences stating a town's facts, in several phrasings."""
        pk = self.pick
        facts = [
            pk([f"The town of {t.name} lies {t.direction} of {t.landmark}.",
                f"{t.name} lies {t.direction} of {t.landmark}.",
                f"{t.name} is {t.size[1]} {t.direction} of {t.landmark}."]),
            pk([f"Its people grow {t.crop}.", f"The people of {t.name} grow {t.crop}.",
                f"Farmers in {t.name} grow {t.crop}."]),
            pk([f"They are known for their {t.craft}.", f"{t.name} makes fine {t.craft}.",
                f"The people of {t.name} make {t.craft}."]),
            pk([f"Many families in {t.name} keep {t.herd}.", f"In {t.name}, people keep {t.herd}."]),
            pk([f"{t.name} is {t.size[1]}.", f"{t.name} is {t.size[1]} with {pk(['a stone', 'a wooden', 'an old'])} bridge."]),
            pk([f"The great festival of {t.name} is held in {t.season}.", f"Every {t.season}, {t.name} holds a festival."]),
            pk([f"The weather in {t.name} is often {t.weather}.", f"It is often {t.weather} in {t.name}."]),
        ]
        if t.neighbor:
            facts.append(pk([f"The town of {t.neighbor} lies to the {t.neighbor_dir} of {t.name}.",
                             f"{t.neighbor} is the neighbor of {t.name}, to the {t.neighbor_dir}."]))
        first, rest = facts[0], facts[1:]
        self.r.shuffle(rest)
        n = n or self.r.randint(3, len(facts))
        return [first] + rest[: n - 1]

    def person_facts(self, q: Person) -> list:
        """Sentences stating a person's facts."""
        s, o, p = self.pro(q.she)
        pk = self.pick
        facts = [f"{q.name} lives in {q.town}.",
                 pk([f"{cap(s)} works as {a_or_an(q.job)} {q.job}.", f"{q.first} is {a_or_an(q.job)} {q.job}."]),
                 (f"{q.first} has {q.pet}." if q.pet != "no pets" else f"{q.first} has no pets."),
                 pk([f"{cap(p)} favorite food is {q.food}.", f"{q.first} likes to eat {q.food}."]),
                 f"{cap(p)} best friend is {q.friend}."]
        rest = facts[1:]
        self.r.shuffle(rest)
        return [facts[0]] + rest[: self.r.randint(2, len(rest))]

    def facts_doc(self) -> str:
        """A paragraph about a town, a person, or a town and one of its people."""
        r = self.r
        k = r.random()
        if k < 0.45:
            return " ".join(self.town_facts(self.pick(self.w.towns)))
        if k < 0.8:
            return " ".join(self.person_facts(self.pick(self.w.people)))
        t = self.pick(self.w.towns)
        locals_ = [q for q in self.w.people if q.town == t.name]
        out = self.town_facts(t)
        if locals_:
            out += self.person_facts(self.pick(locals_))
        return " ".join(out)

    # -- question answering ------------------------------------------------------------------

    def world_qa(self) -> tuple:
        """(question, answer) pairs about one town or person, and the town (or None)."""
        pk = self.pick
        if self.r.random() < 0.55:
            t = pk(self.w.towns)
            qs = [(f"Where is {t.name}?", f"{t.name} lies {t.direction} of {t.landmark}."),
                  (f"What do the people of {t.name} grow?", f"They grow {t.crop}."),
                  (f"What is {t.name} known for?", f"It is known for its {t.craft}."),
                  (f"What animals do people keep in {t.name}?", f"They keep {t.herd}."),
                  (f"When is the festival of {t.name}?", f"It is held in {t.season}."),
                  (f"What is the weather like in {t.name}?", f"It is often {t.weather}."),
                  (f"Is {t.name} a big place?", f"{t.name} is {t.size[1]}.")]
            if t.neighbor:
                qs.append((f"Which town lies to the {t.neighbor_dir} of {t.name}?", f"{t.neighbor} does."))
            return qs, t
        q = pk(self.w.people)
        s, o, p = self.pro(q.she)
        return [(f"Where does {q.name} live?", f"{cap(s)} lives in {q.town}."),
                (f"What does {q.name} do?", f"{cap(s)} is {a_or_an(q.job)} {q.job}."),
                (f"Does {q.first} have a pet?", f"{q.first} has {q.pet}." if q.pet != "no pets" else f"No, {s} has no pets."),
                (f"What is {q.first}'s favorite food?", f"{cap(p)} favorite food is {q.food}."),
                (f"Who is {q.name}'s best friend?", f"{cap(p)} best friend is {q.friend}.")], None

    def passage_qa(self) -> tuple:
        """A fresh passage (not world facts) and questions answerable only from it."""
        name, she, desc, kind = self.hero()
        s, o, p = self.pro(she)
        color, toy, place = self.pick(COLORS), self.pick(TOYS), self.pick(PLACES)
        food, friend = self.pick(FOODS), self.pick(GIRLS + BOYS)
        n = self.pick(["two", "three", "four", "five", "six"])
        animal = self.pick(ANIMAL_KINDS)
        text = (f"{name} is {a_or_an(kind)} {kind}. {cap(s)} has {a_or_an(color)} {color} {toy}. "
                f"{cap(s)} went to the {place} with {friend}. They ate {food} and saw {n} {animal}s.")
        qa = [(f"What color is {name}'s {toy}?", f"It is {color}."),
              (f"Where did {name} go?", f"{cap(s)} went to the {place}."),
              (f"Who went with {name}?", f"{friend} went with {o}."),
              (f"What did they eat?", f"They ate {food}."),
              (f"How many {animal}s did they see?", f"They saw {n} {animal}s.")]
        return text, qa

    def qa_doc(self) -> str:
        """A question-answer document: world recall, or reading comprehension of a passage."""
        r = self.r
        if r.random() < 0.5:
            qa, town = self.world_qa()
            # Sometimes the town's facts come first, as context the answers can be read from.
            head = " ".join(self.town_facts(town, n=8)) + "\n" if town and r.random() < 0.3 else ""
        else:
            text, qa = self.passage_qa()
            head = text + "\n"
        r.shuffle(qa)
        qa = qa[: r.randint(2, len(qa))]
        return head + "\n".join(f"Q: {q}\nA: {a}" for q, a in qa)

    # -- labelled sentences ---------------------------------------------------------------------

    def sentiment_sentence(self, label: str) -> str:
        """One sentence (sometimes two) with clear positive or negative sentiment."""
        pos = label == "positive"
        pk = self.pick
        adj, taste, verb, end = ((POS_ADJ, POS_TASTE, POS_VERB, POS_END) if pos else (NEG_ADJ, NEG_TASTE, NEG_VERB, NEG_END))
        thing, where, food = pk(REVIEW_THINGS), pk(EVENT_PLACES), pk(FOODS)
        t = self.r.randrange(10)
        if t == 0:
            s = f"{cap(thing)} {where} was {pk(adj)}."
        elif t == 1:
            s = f"I {pk(verb)} {thing} {where}."
        elif t == 2:
            s = f"The {food} {where} tasted {pk(taste)}."
        elif t == 3:
            s = f"What {a_or_an(w := pk(adj))} {w} day {where}!"
        elif t == 4:
            s = f"We had {a_or_an(w := pk(adj))} {w} time at {pk(EVENTS)}."
        elif t == 5:
            a1, a2 = self.r.sample(adj, 2)
            s = f"{cap(thing)} was {a1} and {a2}."
        elif t == 6:
            s = f"My {pk(['friends', 'parents', 'kids', 'sister', 'brother'])} {pk(verb)} {thing}."
        elif t == 7:  # negation flips the opposite word
            other = NEG_ADJ if pos else POS_ADJ
            s = f"{cap(thing)} was not {pk(other)} at all." if pos else f"{cap(thing)} was not {pk(other)}."
            if self.r.random() < 0.7:
                s += f" It was {pk(adj)}."
        elif t == 8:
            s = f"{cap(thing)} {where} was {pk(adj)}, and the {food} {was(food)} {pk(taste)}."
        else:
            s = f"{pk(['Honestly', 'Sadly' if not pos else 'Happily', 'Overall', 'In the end'])}, {thing} was {pk(adj)}."
        if self.r.random() < 0.35:
            s += " " + pk(end)
        return s

    def topic_sentence(self, label: str) -> str:
        """One or two sentences clearly about ``label``."""
        v = TOPIC_VOCAB[label]
        pk = self.pick
        s = f"{pk(v['subj'])} {pk(v['verb'])} {pk(v['obj'])}."
        k = self.r.random()
        if k < 0.35:
            s += " " + pk(v["extra"])
        elif k < 0.5:
            s = pk(v["extra"])
            if self.r.random() < 0.5:
                s += " " + pk([e for e in v["extra"] if e != s])
        return s

    def labelled(self, task: str) -> tuple:
        """(sentence, label) for ``task``."""
        if task == "sentiment":
            label = self.pick(SENTIMENT_LABELS)
            return self.sentiment_sentence(label), label
        label = self.pick(TOPIC_LABELS)
        return self.topic_sentence(label), label

    @staticmethod
    def format_labelled(task: str, text: str, label: str | None) -> str:
        """The canonical labelled-item format; ``label=None`` gives the classification prompt."""
        head, key = ("Review", "Sentiment") if task == "sentiment" else ("Text", "Topic")
        return f"{head}: {text}\n{key}:" + ("" if label is None else f" {label}")

    def labelled_doc(self, task: str, exclude: set | None = None) -> tuple:
        """A document of 1-6 labelled items; returns (document, [sentences])."""
        n = 1 if self.r.random() < 0.5 else self.r.randint(2, 6)
        items, sents = [], []
        while len(items) < n:
            text, label = self.labelled(task)
            if exclude and text in exclude:
                continue
            items.append(self.format_labelled(task, text, label))
            sents.append(text)
        return "\n".join(items), sents


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

KINDS = [("story", 0.44), ("facts", 0.14), ("qa", 0.16), ("sentiment", 0.13), ("topic", 0.13)]


def generate_docs(gen: Generator, target_bytes: int, exclude_docs: set | None = None,
                  exclude_sents: set | None = None, stats: dict | None = None):
    """Yields (kind, document, labelled sentences) until ``target_bytes`` of text were produced.

    Documents in ``exclude_docs`` (exact text) are skipped, and labelled sentences in
    ``exclude_sents`` are never used, so a test split can be kept disjoint from train.
    """
    kinds, weights = zip(*KINDS)
    total = 0
    while total < target_bytes:
        kind = gen.r.choices(kinds, weights)[0]
        sents = []
        if kind == "story":
            doc = gen.story()
        elif kind == "facts":
            doc = gen.facts_doc()
        elif kind == "qa":
            doc = gen.qa_doc()
        else:
            doc, sents = gen.labelled_doc(kind, exclude_sents)
        if exclude_docs is not None and doc in exclude_docs:
            continue
        assert "\n\n" not in doc
        total += len(doc.encode("utf-8")) + len(SEPARATOR)
        if stats is not None:
            stats[kind] = stats.get(kind, 0) + 1
        yield kind, doc, sents


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/tmp/ember-corpus", help="output directory (default /tmp/ember-corpus)")
    ap.add_argument("--size-mb", type=float, default=30.0, help="size of train.txt in MB (default 30)")
    ap.add_argument("--test-mb", type=float, default=None, help="size of test.txt in MB (default 2%% of train, min 0.05)")
    ap.add_argument("--labels-test", type=int, default=2000, help="held-out labelled sentences (default 2000)")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the document streams (default 1234)")
    ap.add_argument("--world-seed", type=int, default=7, help="seed of the invented world (default 7)")
    args = ap.parse_args(argv)

    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    world = World.build(args.world_seed)
    train_bytes = int(args.size_mb * 1e6)
    test_bytes = int((args.test_mb if args.test_mb is not None else max(0.05, args.size_mb * 0.02)) * 1e6)

    train_stats: dict = {}
    train_docs: set = set()
    train_sents: set = set()
    with open(os.path.join(args.out, "train.txt"), "w", encoding="utf-8", newline="\n") as f:
        first = True
        for kind, doc, sents in generate_docs(Generator(world, random.Random(args.seed)), train_bytes, stats=train_stats):
            f.write(doc if first else SEPARATOR + doc)
            first = False
            train_docs.add(doc)
            train_sents.update(sents)
        f.write("\n")

    test_stats: dict = {}
    test_gen = Generator(world, random.Random(args.seed + 1))
    with open(os.path.join(args.out, "test.txt"), "w", encoding="utf-8", newline="\n") as f:
        first = True
        for kind, doc, sents in generate_docs(test_gen, test_bytes, exclude_docs=train_docs,
                                              exclude_sents=train_sents, stats=test_stats):
            f.write(doc if first else SEPARATOR + doc)
            first = False
        f.write("\n")

    # Held-out labelled sentences: balanced per task and label, never seen in train.txt.
    label_gen = Generator(world, random.Random(args.seed + 2))
    rows, seen = [], set()
    per_task = args.labels_test // 2
    for task, labels in (("sentiment", SENTIMENT_LABELS), ("topic", TOPIC_LABELS)):
        for i in range(per_task):
            label = labels[i % len(labels)]
            for _ in range(1000):
                text = (label_gen.sentiment_sentence(label) if task == "sentiment" else label_gen.topic_sentence(label))
                if text not in train_sents and text not in seen:
                    break
            else:
                continue  # the space of sentences is exhausted for this label; skip
            seen.add(text)
            rows.append({"text": text, "label": label, "task": task,
                         "prompt": Generator.format_labelled(task, text, None),
                         "choices": [" " + l for l in labels]})
    with open(os.path.join(args.out, "labels-test.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    stats = {
        "seed": args.seed, "world_seed": args.world_seed, "argv": sys.argv[1:],
        "train_bytes": os.path.getsize(os.path.join(args.out, "train.txt")),
        "test_bytes": os.path.getsize(os.path.join(args.out, "test.txt")),
        "train_docs": train_stats, "test_docs": test_stats,
        "labels_test": len(rows), "distinct_train_labelled_sentences": len(train_sents),
        "towns": len(world.towns), "people": len(world.people), "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(args.out, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
