"""A deterministic corpus of realistic Chorus entries, for the benchmark (issue #7).

`write_corpus(dest, entries, seed)` writes a complete archive in Chorus's format
(CONTRACT.md sections 1-3): site.yaml with closed vocabularies of 30 regions and
12 sectors, pagination 20, full-content feeds of the newest 50; and content/
with articles, takes and threads (55 / 20 / 25 %) plus four pages.

Every entry has 400-1,000 words of varied Markdown (paragraphs, a heading or
two, a list, a blockquote, links, emphasis; some articles embed ```post blocks,
a few a ```thread block, some link to another entry's source file), 2-5 tags
from a pool of 300 (Zipf-like: a few tags are very common), 1-2 regions,
1 sector; ~10 % have content warnings, ~0.5 % are withdrawn, ~0.5 % drafts.
Dates spread over 2017-2019, denser around October 2017. Threads have an
author (half of them private), parts_total and 3-10 posts with string ids,
dates with times and offsets, and some deleted statuses.

The same (entries, seed) writes byte-identical files: everything comes from
random.Random(seed), nothing from the clock, and no set of strings is iterated.

    python bench/corpus.py --entries 1000 --out /tmp/corpus [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

MARKER = ".bench-corpus"
"""A file at the root of every generated corpus: write_corpus only ever clears a folder holding one."""

KIND_SHARES = (("article", 0.55), ("take", 0.20), ("thread", 0.25))
KIND_DIRS = {"article": "articles", "take": "takes", "thread": "threads", "page": "pages"}

REGIONS = [
    ("us", "United States", ["usa", "united-states"]), ("canada", "Canada", []), ("mexico", "Mexico", []),
    ("brazil", "Brazil", []), ("argentina", "Argentina", []), ("chile", "Chile", []),
    ("uk", "United Kingdom", ["united-kingdom", "britain"]), ("ireland", "Ireland", []),
    ("france", "France", []), ("germany", "Germany", []), ("spain", "Spain", []), ("italy", "Italy", []),
    ("sweden", "Sweden", []), ("norway", "Norway", []), ("poland", "Poland", []), ("russia", "Russia", []),
    ("turkey", "Turkey", []), ("egypt", "Egypt", []), ("nigeria", "Nigeria", []), ("kenya", "Kenya", []),
    ("south-africa", "South Africa", []), ("india", "India", []), ("pakistan", "Pakistan", []),
    ("china", "China", []), ("japan", "Japan", []), ("south-korea", "South Korea", ["korea"]),
    ("australia", "Australia", []), ("new-zealand", "New Zealand", []), ("indonesia", "Indonesia", []),
    ("philippines", "Philippines", []),
]
REGION_LANG = {"france": "fr", "germany": "de", "spain": "es", "italy": "it", "brazil": "pt", "mexico": "es",
               "argentina": "es", "chile": "es", "sweden": "sv", "japan": "ja", "south-korea": "ko"}
SECTORS = [
    ("sports", "Sports"), ("entertainment", "Film and entertainment"), ("workplace", "Workplace"),
    ("politics", "Politics"), ("academia", "Academia"), ("media", "News media"), ("tech", "Technology"),
    ("religion", "Religion"), ("military", "Military"), ("healthcare", "Healthcare"), ("fashion", "Fashion"),
    ("music", "Music"),
]
WARNINGS = ["sexual harassment", "sexual assault", "abuse", "violence", "suicide", "self-harm"]
REASONS = ["Removed at the author's request.", "Removed at the request of a person named in it.",
           "Removed on legal advice.", "Removed: the source could not be verified."]
PUBLISHERS = ["The Daily Ledger", "Morning Courier", "Northern Gazette", "The Evening Post", "Metro Times",
              "Coastal Herald", "The Observer Weekly", "City Chronicle", "Global Wire", "The Independent Voice"]
DOMAINS = ["news.example.com", "ledger.example.org", "courier.example.net", "gazette.example.com",
           "post.example.org", "wire.example.net"]
FIRST = ["Aisha", "Alex", "Amara", "Ana", "Ben", "Carla", "Chen", "Chloe", "Dana", "David", "Elena", "Emeka",
         "Fatima", "Grace", "Hana", "Ines", "Isabel", "Jamie", "Jin", "Joana", "Kai", "Karin", "Leila", "Lucia",
         "Maya", "Mei", "Nadia", "Nia", "Noor", "Olga", "Omar", "Priya", "Rachel", "Rosa", "Sam", "Sara", "Sofia",
         "Tanya", "Tomas", "Uma", "Vera", "Wanjiru", "Yara", "Yuki", "Zoe", "Zanele", "Ruth", "Hélène", "Ömer",
         "Siobhán"]
LAST = ["Adeyemi", "Alvarez", "Andersen", "Bauer", "Bianchi", "Brown", "Chowdhury", "Costa", "Dubois", "Evans",
        "Fernandes", "Garcia", "Haddad", "Hughes", "Ivanova", "Jensen", "Kaur", "Kim", "Kowalski", "Lefebvre",
        "Lewis", "Mahlaba", "Martin", "Mendez", "Moreau", "Mwangi", "Nakamura", "Novak", "Okafor", "Olsen",
        "Park", "Patel", "Quinn", "Rossi", "Santos", "Schmidt", "Sharma", "Silva", "Singh", "Suzuki", "Tanaka",
        "Torres", "Usman", "Vargas", "Wang", "Weber", "Yilmaz", "Zhang", "Núñez", "O'Brien"]

# Words for prose: frequent function words first, so Zipf-like weights give natural-looking text.
WORDS = """the of and to a in that is was for it with as on his her they be at by this had from not are but
or have an their which one were all we she when there been has more if will who would no its out so
about up what can said them some into only other than then time could two these may first people any
new very also after work years way many where even most made did back through women men because
campaign hashtag story stories posts thread survivors support court report reports silence power abuse
industry company companies allegations public statement accused accounts colleagues office employer
policy policies law lawyers journalists newspaper editor editors interview testimony evidence victims
speak spoke spoken online social media movement voices change culture harassment workplace schools
universities students teachers coaches athletes actors producers directors musicians politicians
ministers parliament committee inquiry investigation complaint complaints hearing trial verdict
settlement agreement contracts nondisclosure confidential anonymous names named naming public private
shared sharing wrote written posted posting replied replies followers thousands millions countries
cities across world first week month year weeks months later earlier since before during while still
again never always often sometimes finally quickly slowly openly quietly together alone many few
several dozens hundreds numbers figures data survey surveys research researchers study studies found
showed suggested according said says told asked answered denied confirmed admitted resigned fired
suspended reinstated charged cleared apologised apologized responded respond response responses
questions question answer answers record records archive archived archives copy copies original
deleted removed preserved kept saved lost found local national international global regional rural
urban young older younger generation generations mothers daughters sisters friends families family
community communities organisers organizers activists activist groups group network networks
solidarity anger fear shame courage trust justice accountability consent respect dignity safety
harm harms pain trauma healing recovery listening believing belief doubt doubts critics criticism
debate debates backlash reform reforms rules guidelines training procedures reporting mechanisms
unions union members member staff workers employees managers executives board boards chair chief
sector sectors industries film music sports politics academia newsroom hospital church army""".split()

TAG_BASES = ["MeToo", "TimesUp", "BalanceTonPorc", "NOTokay", "WhyIDidntReport", "BelieveSurvivors", "MeTooIndia",
             "MosqueMeToo", "ChurchToo", "MeTooK12", "HimToo", "YoTambien", "QuellaVoltaChe", "Ana_kaman",
             "MeTooUniversity", "MeTooMilitary", "MeTooSTEM", "MeTooPolitics", "SilenceBreakers", "EnoughIsEnough",
             "NiUnaMenos", "RiceBunny", "WoYeShi", "SchauHin", "Stilla", "TystnadTagning", "Dammenbrister",
             "NotInMyName", "EndRapeCulture", "SayHerName"]
TAG_TOPICS = ["Sports", "Film", "Music", "Media", "Tech", "Law", "Courts", "Schools", "Campus", "Work", "Unions",
              "Politics", "Parliament", "Church", "Army", "Health", "Fashion", "Theatre", "Science", "Art",
              "Books", "Gaming", "Startups", "Finance", "Police"]

MONTHS_BETWEEN = (date(2017, 1, 1), date(2019, 12, 31))
SPIKE = (date(2017, 10, 5), date(2017, 11, 30))
OFFSETS = ["Z", "+00:00", "+01:00", "+02:00", "-05:00", "-08:00", "+05:30", "+09:00", "-03:00"]


@dataclass
class Plan:
    """What every entry will be, decided before any body is written (so takes can name articles)."""

    kind: str
    index: int
    name: str
    title: str
    day: date
    flags: dict = field(default_factory=dict)


def yq(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


class Corpus:
    def __init__(self, entries: int, seed: int, archived_urls: bool = True):
        self.n = entries
        self.archived_urls = archived_urls
        self.rng = random.Random(seed)
        rng = self.rng
        weights = [1.0 / (rank + 8) ** 1.1 for rank in range(len(WORDS))]
        self.word_cum = _cumulative(weights)
        self.tags = self._tag_pool(300)
        self.tag_cum = _cumulative([1.0 / (rank + 2) ** 0.9 for rank in range(len(self.tags))])
        # Distinct people grow with the archive: thread authors are mostly different people.
        self.people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(max(600, entries // 2))]
        self.handles = [slugify(p).replace("-", "")[:10] + str(rng.randrange(10, 999)) for p in self.people]
        self.sentences = [self._sentence(decorate=True) for _ in range(4000)]
        self.plain = [self._sentence(decorate=False) for _ in range(1500)]
        self.plans: list[Plan] = []
        self.articles: list[Plan] = []
        self.threads: list[Plan] = []

    # ---- pools -------------------------------------------------------

    def _tag_pool(self, size: int) -> list[str]:
        pool, keys = [], {}
        candidates = list(TAG_BASES)
        candidates += [base + topic for base in TAG_BASES[:12] for topic in TAG_TOPICS]
        candidates += [base + region.replace("-", " ").title().replace(" ", "") for base in TAG_BASES[:4]
                       for region, _, _ in REGIONS]
        for tag in candidates:
            key = slugify(tag)
            if key not in keys:
                keys[key] = tag
                pool.append(tag)
            if len(pool) == size:
                break
        assert len(pool) == size, len(pool)
        head, tail = pool[:8], pool[8:]
        self.rng.shuffle(tail)  # the common tags stay the campaign's best known
        return head + tail

    def _words(self, k: int) -> list[str]:
        return self.rng.choices(WORDS, cum_weights=self.word_cum, k=k)

    def _sentence(self, decorate: bool) -> str:
        rng = self.rng
        words = self._words(rng.randint(7, 22))
        if rng.random() < 0.25:
            words.insert(rng.randrange(len(words)), f"{rng.choice(FIRST)} {rng.choice(LAST)}")
        if rng.random() < 0.3:
            words[rng.randrange(1, len(words))] += ","
        if decorate:
            r = rng.random()
            i = rng.randrange(len(words))
            if r < 0.06:
                words[i] = f"*{words[i]}*"
            elif r < 0.10:
                j = min(len(words), i + rng.randint(1, 3))
                words[i:j] = [f"**{' '.join(words[i:j])}**"]
            elif r < 0.16:
                j = min(len(words), i + rng.randint(1, 4))
                url = f"https://{rng.choice(DOMAINS)}/{rng.randint(2017, 2019)}/{'-'.join(self._words(4))}"
                words[i:j] = [f"[{' '.join(words[i:j])}]({url})"]
            elif r < 0.20:
                words.insert(i, "#" + rng.choice(TAG_BASES[:8]))
            elif r < 0.22:
                words.insert(i, f"“{' '.join(self._words(3))}”")
        text = " ".join(words).rstrip(",")
        return text[0].upper() + text[1:] + rng.choice(".....?!")

    def _prose(self, count: int, plain: bool = False) -> str:
        return " ".join(self.rng.choices(self.plain if plain else self.sentences, k=count))

    def _title(self) -> str:
        rng = self.rng
        words = self._words(rng.randint(4, 9))
        title = " ".join(w.capitalize() if len(w) > 3 else w for w in words)
        title = title[0].upper() + title[1:]
        r = rng.random()
        if r < 0.15:
            title = f"#{rng.choice(TAG_BASES[:8])}: {title}"
        elif r < 0.20:
            title = f"“{title}” & what followed"
        elif r < 0.23:
            title = f"{title} <in {rng.choice(REGIONS)[1]}>"
        return title

    # ---- the plan ----------------------------------------------------

    def plan(self) -> None:
        rng = self.rng
        counts = [int(self.n * share) for _, share in KIND_SHARES]
        counts[0] += self.n - sum(counts)
        span = (MONTHS_BETWEEN[1] - MONTHS_BETWEEN[0]).days
        spike = (SPIKE[1] - SPIKE[0]).days
        for (kind, _), count in zip(KIND_SHARES, counts):
            for i in range(count):
                title = self._title()
                stem = slugify(title)[:48].strip("-") or kind
                name = f"{stem}-{i + 1}"
                day = (SPIKE[0] + timedelta(days=rng.randrange(spike)) if rng.random() < 0.2
                       else MONTHS_BETWEEN[0] + timedelta(days=rng.randrange(span + 1)))
                plan = Plan(kind, i, name, title, day)
                r = rng.random()
                if r < 0.005:
                    plan.flags["withdrawn"] = True
                elif r < 0.010:
                    plan.flags["draft"] = True
                self.plans.append(plan)
                if kind == "article":
                    self.articles.append(plan)
                elif kind == "thread":
                    self.threads.append(plan)

    # ---- writing -----------------------------------------------------

    def entry_text(self, plan: Plan) -> str:
        rng = self.rng
        fm: list[str] = ["---", f"title: {yq(plan.title)}", f"date: {self._when(plan.day)}"]
        if rng.random() < 0.1:
            fm.append(f"updated: {plan.day + timedelta(days=rng.randint(1, 120))}")
        if rng.random() < 0.5:
            fm.append(f"summary: {yq(self._prose(rng.randint(1, 2), plain=True))}")
        if plan.kind == "take" or (plan.kind == "article" and rng.random() < 0.6):
            fm.append("authors:")
            for _ in range(1 if rng.random() < 0.8 else 2):
                person = rng.choice(self.people)
                if rng.random() < 0.2:
                    fm.append(f"  - {{name: {yq(person)}, url: https://{rng.choice(DOMAINS)}/people/{slugify(person)}}}")
                else:
                    fm.append(f"  - {yq(person)}")
        tags: list[str] = []
        for tag in rng.choices(self.tags, cum_weights=self.tag_cum, k=rng.randint(2, 5)):
            if tag not in tags:
                tags.append(tag)
        written = []
        for tag in tags:
            r = rng.random()
            written.append(yq("#" + tag if r < 0.08 else tag.lower() if r < 0.12 else tag))
        fm.append(f"tags: [{', '.join(written)}]")
        regions = rng.sample(REGIONS, rng.randint(1, 2))
        fm.append("regions: [" + ", ".join(
            (aliases[0] if aliases and rng.random() < 0.1 else slug) for slug, _, aliases in regions) + "]")
        fm.append(f"sectors: [{rng.choice(SECTORS)[0]}]")
        if rng.random() < 0.04:
            fm.append(f"lang: {REGION_LANG.get(regions[0][0], 'fr')}")
        if rng.random() < 0.10:
            fm.append(f"content_warnings: [{', '.join(rng.sample(WARNINGS, rng.randint(1, 2)))}]")
        if plan.kind == "article" and rng.random() < 0.4:
            fm += ["source:", f"  title: {yq(self._title())}", f"  publisher: {yq(rng.choice(PUBLISHERS))}",
                   f"  url: https://{rng.choice(DOMAINS)}/{plan.day.year}/{plan.name}"]
            if rng.random() < 0.5 and self.archived_urls:
                fm.append(f"  archived_url: https://archive.example.net/web/{plan.day:%Y%m%d}/{plan.name}")
            fm.append(f"  published: {plan.day}")
        if plan.kind == "take" and rng.random() < 0.7:
            targets = rng.sample(self.articles, min(len(self.articles), rng.randint(1, 2)))
            fm.append(f"responds_to: [{', '.join(t.name for t in targets)}]")
            plan.flags["responds"] = targets
        if rng.random() < 0.02:
            fm.append(f"aliases: [/{plan.day:%Y/%m}/{plan.name}/]")
        if plan.kind == "article" and rng.random() < 0.003:
            fm.append("featured: true")
        if plan.flags.get("draft"):
            fm.append("draft: true")
        if plan.flags.get("withdrawn"):
            fm += ["withdrawn:", f"  date: {plan.day + timedelta(days=rng.randint(30, 400))}",
                   f"  reason: {yq(rng.choice(REASONS))}"]
        if plan.kind == "thread":
            fm += self._thread_meta(plan)
        fm.append("---")
        return "\n".join(fm) + "\n" + self._body(plan, rng.randint(400, 980)) + "\n"

    def _when(self, day: date) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return day.isoformat()
        stamp = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), rng.randrange(60))
        return stamp.isoformat() + rng.choice(OFFSETS)

    def _person(self, private: bool | None = None) -> tuple[str, str, str]:
        i = self.rng.randrange(len(self.people))
        private = self.rng.random() < 0.5 if private is None else private
        return self.people[i], self.handles[i], "true" if private else "false"

    def _thread_meta(self, plan: Plan) -> list[str]:
        rng = self.rng
        name, handle, private = self._person()
        total = rng.randint(3, 12)
        count = min(total, rng.randint(3, 10))
        numbers = sorted(rng.sample(range(1, total + 1), count))
        lines = ["platform: twitter", "author:", f"  name: {yq(name)}", f"  handle: {handle}",
                 f"  private: {private}", f"parts_total: {total}", "posts:"]
        start = datetime(plan.day.year, plan.day.month, plan.day.day, rng.randrange(24), rng.randrange(60))
        offset = rng.choice(OFFSETS)
        for n in numbers:
            at = start + timedelta(minutes=3 * n + rng.randrange(3))
            text = self._prose(rng.randint(1, 2), plain=True)[:240]
            if rng.random() < 0.2:
                text = f"@{rng.choice(self.handles)} {text}"
            text += f" #{rng.choice(TAG_BASES[:8])} {n}/{total}"
            post_id = str(rng.randrange(10 ** 17, 10 ** 19))
            lines += [f"  - n: {n}", f"    id: \"{post_id}\"",
                      f"    url: https://twitter.com/{handle}/status/{post_id}",
                      f"    date: {at.isoformat()}{offset}", f"    text: {yq(text)}", "    lang: en",
                      f"    status: {'deleted' if rng.random() < 0.15 else 'live' if rng.random() < 0.7 else 'unknown'}"]
        return lines

    def _post_block(self) -> str:
        rng = self.rng
        name, handle, private = self._person()
        post_id = str(rng.randrange(10 ** 17, 10 ** 19))
        text = self._prose(1, plain=True)[:200] + f" #{rng.choice(TAG_BASES[:8])}"
        return "\n".join(["```post", "platform: twitter",
                          f"author: {{name: {yq(name)}, handle: {handle}, private: {private}}}",
                          f"id: \"{post_id}\"", f"date: {rng.choice(['2017', '2018', '2019'])}-10-1{rng.randrange(10)}",
                          f"text: {yq(text)}", "```"])

    def _body(self, plan: Plan, target: int) -> str:
        rng = self.rng
        blocks: list[str] = []
        words = 0

        def add(text: str) -> None:
            nonlocal words
            blocks.append(text)
            words += text.count(" ") + 1

        if plan.kind == "take" and plan.flags.get("responds"):
            article = plan.flags["responds"][0]
            add(f"*A response to [{article.title.replace('[', '').replace(']', '')}](../articles/{article.name}.md).*")
        add(self._prose(rng.randint(2, 4)))
        extras = ["heading", "list", "quote"] + (["heading"] if rng.random() < 0.5 else [])
        if plan.kind == "article":
            extras += ["post"] * (rng.random() < 0.15) + ["thread"] * (rng.random() < 0.03 and bool(self.threads))
        if rng.random() < 0.15 and self.plans:
            extras.append("link")
        rng.shuffle(extras)
        while True:
            remaining = target - words
            if remaining <= 0 and not extras:
                break
            if extras and (remaining < 300 or rng.random() < 0.3):
                extra = extras.pop()
                if extra == "heading":
                    add("## " + " ".join(self._words(rng.randint(2, 6))).capitalize())
                elif extra == "list":
                    mark = (lambda i: "- ") if rng.random() < 0.6 else (lambda i: f"{i + 1}. ")
                    add("\n".join(mark(i) + self._prose(1) for i in range(rng.randint(3, 5))))
                elif extra == "quote":
                    add("> " + self._prose(rng.randint(1, 3)))
                elif extra == "post":
                    blocks.append(self._post_block())
                elif extra == "thread":
                    blocks.append(f"```thread\n{rng.choice(self.threads).name}\n```")
                elif extra == "link":
                    other = rng.choice(self.plans)
                    add(f"{self._prose(1)} See also [{' '.join(self._words(3))}]"
                        f"(../{KIND_DIRS[other.kind]}/{other.name}.md).")
            else:  # a paragraph, shorter near the end so that the body stays within its length
                add(self._prose(max(1, min(rng.randint(3, 6), remaining // 16))))
        return "\n\n".join(blocks)

    def page_text(self, title: str, weight: int) -> str:
        return (f"---\ntitle: {yq(title)}\ndate: 2017-10-20\nweight: {weight}\n---\n"
                + self._body(Plan("page", 0, "", title, date(2017, 10, 20)), self.rng.randint(400, 980)) + "\n")


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def site_yaml(entries: int, seed: int) -> str:
    lines = ['title: "#Bench: a generated campaign archive"',
             f'description: "A generated archive of {entries} entries (seed {seed}) for the benchmark."',
             "base_url: https://bench.example.org/", "language: en", "timezone: UTC", "taxonomies:",
             "  tags: {title: Tags}", "  regions:", "    title: Regions", "    terms:"]
    for slug, title, aliases in REGIONS:
        extra = f", aliases: [{', '.join(aliases)}]" if aliases else ""
        lines.append(f"      {slug}: {{title: {yq(title)}{extra}}}")
    lines += ["  sectors:", "    title: Sectors", "    terms:"]
    lines += [f"      {slug}: {{title: {yq(title)}}}" for slug, title in SECTORS]
    lines += ["feeds:", "  items: 50", "  full_content: true", "pagination: 20"]
    return "\n".join(lines) + "\n"


PAGES = [("about", "About this archive"), ("ethics", "Ethics and takedown policy"), ("submit", "How to submit"),
         ("methodology", "How entries are chosen")]


def write_corpus(dest: Path, entries: int, seed: int = 0, *, archived_urls: bool = True) -> dict:
    """Write a complete archive of `entries` entries (plus 4 pages) into dest; returns counts by kind.

    dest must be missing, empty, or a corpus written before (it is then replaced).
    archived_urls=False leaves out `source.archived_url` (a valid key that Chorus
    crashed on before commit 2202ef7; see README.md), so such a commit can be measured.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise SystemExit(f"corpus: {dest} is not empty and holds no {MARKER}: refusing to overwrite it")
    for stale in ("content", "layouts", "output", ".chorus-cache"):
        if (dest / stale).exists():
            shutil.rmtree(dest / stale)
    corpus = Corpus(entries, seed, archived_urls)
    corpus.plan()
    for folder in KIND_DIRS.values():
        (dest / "content" / folder).mkdir(parents=True, exist_ok=True)
    (dest / "site.yaml").write_text(site_yaml(entries, seed), encoding="utf-8")
    counts = {"article": 0, "take": 0, "thread": 0, "page": 0, "withdrawn": 0, "draft": 0}
    for plan in corpus.plans:
        path = dest / "content" / KIND_DIRS[plan.kind] / f"{plan.name}.md"
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write(corpus.entry_text(plan))
        counts[plan.kind] += 1
        counts["withdrawn"] += bool(plan.flags.get("withdrawn"))
        counts["draft"] += bool(plan.flags.get("draft"))
    for weight, (name, title) in enumerate(PAGES, 1):
        (dest / "content" / "pages" / f"{name}.md").write_text(corpus.page_text(title, weight), encoding="utf-8")
        counts["page"] += 1
    (dest / MARKER).write_text(f"entries={entries} seed={seed} archived_urls={archived_urls}\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic benchmark corpus in Chorus's format.")
    parser.add_argument("--entries", type=int, default=1000, help="how many entries (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the archive into")
    parser.add_argument("--no-archived-url", action="store_true",
                        help="leave out source.archived_url (Chorus crashed on it before 2202ef7; see README.md)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = write_corpus(args.out, args.entries, args.seed, archived_urls=not args.no_archived_url)
    print(f"wrote {args.entries} entries ({', '.join(f'{v} {k}' for k, v in counts.items())}) to {args.out} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
