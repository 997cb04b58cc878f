"""How nlu/unlisted.py's MIN_SERVICES was chosen (not a test): `uv run python tests/nlu/unlisted_cv.py`.

5-fold cross-validation on data/nlu: how many follow-ups get flagged as naming something else
(examples that name a catalog service, the name taken out, stand for follow-ups), against how many
of tests/nlu/unlisted_messages.tsv are found with the not-yet list left out. Then the words flagged
most often at 1, to see what the question words still lack."""
import random, sys, yaml, glob
sys.path.insert(0, ".")
from language.analysis import analyse
from nlu.catalog_names import resolver_for_catalog
from nlu.unlisted import QuestionWords, unexplained_words
resolver = resolver_for_catalog()
examples = []
for f in glob.glob("data/nlu/*.yml"):
    for block in yaml.safe_load(open(f))["nlu"]:
        if "intent" not in block or block["intent"] == "out_of_scope": continue
        for line in block["examples"].splitlines():
            t = line.strip()[2:].strip()
            if not t: continue
            toks = analyse(t).tokens
            norms = [x.norm for x in toks]; spans = [(x.start, x.end) for x in toks]
            r = resolver.resolve_tokens(norms, spans)
            if r.service_id:
                outside = [n for n, s in zip(norms, spans) if not (r.start < s[1] and s[0] < r.end)]
                examples.append((outside, r.service_id, norms, spans, (r.start, r.end)))
tests = [l.split("\t") for l in open("tests/nlu/unlisted_messages.tsv", encoding="utf-8") if l.strip() and not l.startswith("#")]
random.seed(0); random.shuffle(examples)
for k in (1, 2, 3, 4, 6):
    fp = n = 0
    for fold in range(5):
        train = [e for i, e in enumerate(examples) if i % 5 != fold]
        held = [e for i, e in enumerate(examples) if i % 5 == fold]
        qw = QuestionWords.learn([(e[0], e[1]) for e in train], k)
        for outside, sid, norms, spans, named in held:
            n += 1
            fp += bool(unexplained_words(norms, spans, named, qw))
    qw = QuestionWords.learn([(e[0], e[1]) for e in examples], k)
    tp = 0
    for text, _ in tests:
        toks = analyse(text).tokens
        norms = [x.norm for x in toks]; spans = [(x.start, x.end) for x in toks]
        r = resolver.resolve_tokens(norms, spans)
        if r.service_id: continue
        tp += bool(unexplained_words(norms, spans, (r.start, r.end), qw))
    print(f"min_services={k}: words={len(qw.words)} follow-ups flagged {fp}/{n} = {fp/n:.1%}; unlisted found {tp}/{len(tests)}")
from collections import Counter
c = Counter()
for fold in range(5):
    train = [e for i, e in enumerate(examples) if i % 5 != fold]
    held = [e for i, e in enumerate(examples) if i % 5 == fold]
    qw = QuestionWords.learn([(e[0], e[1]) for e in train], 1)
    for outside, sid, norms, spans, named in held:
        for i in unexplained_words(norms, spans, named, qw): c[norms[i]] += 1
print(c.most_common(80))
print(len(c), sum(c.values()))
