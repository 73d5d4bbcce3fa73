"""Intent classification: the rules exactly, the model on held-out messages it never saw."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from surgiai.agents import classifier
from surgiai.agents.classifier import MODEL_INTENTS, IntentModel, default_model, training_examples
from surgiai.agents.intents import CONFIDENCE_THRESHOLD, Classification, classify
from surgiai.agents.language import Intent, words
from tests.services import wait_for

# Written separately from data/intents.jsonl, in other words: the training data is never
# shown these. Keyword rules are exercised here too, with wording the training data lacks.
HELD_OUT: list[tuple[str, Intent]] = [
    ("hellooo", Intent.greeting),
    ("Good Morning Madam!", Intent.greeting),
    ("hi dr", Intent.greeting),
    ("hey team", Intent.greeting),
    ("namaste doctor", Intent.greeting),
    ("hello everyone", Intent.greeting),
    ("gud mrng", Intent.greeting),
    ("hi, Dr. Kapoor this side", Intent.greeting),
    ("hello, how are you doing", Intent.greeting),
    ("good evening ma'am", Intent.greeting),
    ("heyyy 👋 doc", Intent.greeting),
    ("Hi there, anyone available?", Intent.greeting),
    ("what's the cost of a 45mm endo GIA reload", Intent.product_question),
    ("do you sell absorbable sutures?", Intent.product_question),
    ("is the ultrasonic scalpel handpiece reusable", Intent.product_question),
    ("rate of 12 mm trocar with cannula", Intent.product_question),
    ("kitne ka milega titanium clip applier", Intent.product_question),
    ("specifications of your hernia mesh please", Intent.product_question),
    ("hi, price of the 5mm trocar?", Intent.product_question),
    ("Are suprapubic catheters available", Intent.product_question),
    ("what's the MRP of skin stapler 35W", Intent.product_question),
    ("which mesh do you have for ventral hernia", Intent.product_question),
    ("does the vessel sealer work with a valleylab generator", Intent.product_question),
    ("price per box of chromic catgut", Intent.product_question),
    ("I need 12 boxes of prolene 1-0, please send", Intent.order),
    ("kindly ship 3 linear staplers to AIIMS Jodhpur", Intent.order),
    ("any update on my order?", Intent.order),
    ("when will my parcel arrive", Intent.order),
    ("order 6 reloads for me", Intent.order),
    ("place order: 20 Foley 14Fr", Intent.order),
    ("please send the bill for my order", Intent.order),
    ("I want 2 units of the LED light source", Intent.order),
    ("order confirm kar do 10 box", Intent.order),
    ("deliver to Ruby Hall Clinic Pune", Intent.order),
    ("what's the tracking id for my order", Intent.order),
    ("I'd like to buy a box of hem-o-lok clips", Intent.order),
    ("when does the next suturing course start", Intent.course),
    ("how do I register for the hernia webinar", Intent.course),
    ("certificate for the last CME not received", Intent.course),
    ("how many credit hours do I get", Intent.course),
    ("fee for laparoscopy training?", Intent.course),
    ("can I get the recording of the webinar", Intent.course),
    ("webinar link pls", Intent.course),
    ("I want to enroll in the workshop", Intent.course),
    ("dates for the Hyderabad workshop?", Intent.course),
    ("is there a course for OT nurses", Intent.course),
    ("CME kab hai", Intent.course),
    ("who are the speakers at the conference", Intent.course),
    ("when does the course stop", Intent.course),
    ("any discount?", Intent.offer),
    ("current deals?", Intent.offer),
    ("coupon for first order?", Intent.offer),
    ("is there any offer on trocars", Intent.offer),
    ("kuch offer hai kya", Intent.offer),
    ("what's the best price you can do", Intent.offer),
    ("any festival discount", Intent.offer),
    ("discount for bulk purchase of sutures", Intent.offer),
    ("early bird offer for CME?", Intent.offer),
    ("promo codes available?", Intent.offer),
    ("price kam ho sakta hai?", Intent.offer),
    ("special offer for new clinics?", Intent.offer),
    # Vague wishes for information: asked what about, not handed to a person, not an opt-in.
    ("I need some information please", Intent.info_request),
    ("send me some info", Intent.info_request),
    ("need info sir", Intent.info_request),
    ("can you share some details", Intent.info_request),
    ("mujhe details chahiye", Intent.info_request),
    ("kuch jankari chahiye thi", Intent.info_request),
    ("pls send ur catalog", Intent.info_request),
    ("interested. details pls", Intent.info_request),
    ("wanted to know more about you", Intent.info_request),
    ("plz share info", Intent.info_request),
    # Written after the training data grew for information requests, and scored once before
    # joining this set (37 of 40; hand-offs 4 of 4 right).
    ("hello sir good afternoon", Intent.greeting),
    ("hii team surgiai", Intent.greeting),
    ("namaskar ji", Intent.greeting),
    ("hey, morning!", Intent.greeting),
    ("rate of 10mm trocar?", Intent.product_question),
    ("do u keep polypropylene mesh 30x30", Intent.product_question),
    ("is the clip applier reusable", Intent.product_question),
    ("ligasure jaisa vessel sealer hai kya", Intent.product_question),
    ("pls send 6 boxes of 2-0 prolene", Intent.order),
    ("my order still not delivered, its been a week", Intent.order),
    ("order status for PO 7781?", Intent.order),
    ("can i change the qty in my order to 8", Intent.order),
    ("next lap hernia course kab hai", Intent.course),
    ("how many CME points for the workshop", Intent.course),
    ("course fee includes hotel?", Intent.course),
    ("register me for the hysteroscopy webinar", Intent.course),
    ("any discount if we buy for 3 hospitals", Intent.offer),
    ("what offers do u have this month", Intent.offer),
    ("coupon for the course?", Intent.offer),
    ("kuch offer hai stapler pe", Intent.offer),
    ("need some info", Intent.info_request),
    ("pls share more details", Intent.info_request),
    ("mujhe aapke baare mein jaanna hai", Intent.info_request),
    ("send brochure pls", Intent.info_request),
    ("the mesh you sent is torn", Intent.complaint),
    ("still no refund after 2 weeks", Intent.complaint),
    ("worst service ever", Intent.complaint),
    ("energy device tip broke in OT", Intent.complaint),
    ("can someone call me", Intent.human_request),
    ("connect me to a human", Intent.human_request),
    ("kisi se baat karwao", Intent.human_request),
    ("stop msging me", Intent.opt_out),
    ("unsubscribe please", Intent.opt_out),
    ("no more promotional msgs", Intent.opt_out),
    ("start again please", Intent.opt_in),
    ("resubscribe me", Intent.opt_in),
    ("i want to receive your messages again", Intent.opt_in),
    ("msg chalu karo", Intent.opt_in),
    ("thik hai", Intent.other),
    ("will call later", Intent.other),
    ("the mesh was torn when I opened it", Intent.complaint),
    ("my delivery is late by a week", Intent.complaint),
    ("you delivered the wrong suture", Intent.complaint),
    ("I need my money back", Intent.complaint),
    ("the device is not working", Intent.complaint),
    ("very disappointed with the quality", Intent.complaint),
    ("box arrived crushed", Intent.complaint),
    ("trocar valve leaks gas", Intent.complaint),
    ("no one answered my emails", Intent.complaint),
    ("refund abhi tak nahi aaya", Intent.complaint),
    ("order galat aaya hai", Intent.complaint),
    ("the catheter balloon burst", Intent.complaint),
    ("can someone call me", Intent.human_request),
    ("I'd like to speak with a person", Intent.human_request),
    ("please connect me to sales", Intent.human_request),
    ("call me back please", Intent.human_request),
    ("give me a call tomorrow", Intent.human_request),
    ("I need to talk to your representative", Intent.human_request),
    ("koi call kar sakta hai?", Intent.human_request),
    ("baat karni hai kisi se", Intent.human_request),
    ("get me a real person", Intent.human_request),
    ("phone number of your sales team?", Intent.human_request),
    ("stop the bot", Intent.human_request),
    ("can your rep visit my clinic", Intent.human_request),
    ("STOP!!! too many messages", Intent.opt_out),
    ("stop msging me", Intent.opt_out),
    ("I wish to unsubscribe", Intent.opt_out),
    ("please stop messaging me", Intent.opt_out),
    ("do not message me again", Intent.opt_out),
    ("remove me from the list", Intent.opt_out),
    ("I don't want these offers", Intent.opt_out),
    ("stop it, not interested", Intent.opt_out),
    ("message band karo", Intent.opt_out),
    ("unsubscribe pls", Intent.opt_out),
    ("no more whatsapp msgs", Intent.opt_out),
    ("stop sending me promotional msgs", Intent.opt_out),
    ("START please", Intent.opt_in),
    ("Start again pls", Intent.opt_in),
    ("please resubscribe me", Intent.opt_in),
    ("I want updates again", Intent.opt_in),
    ("resume sending messages", Intent.opt_in),
    ("subscribe me again", Intent.opt_in),
    ("send me offers again", Intent.opt_in),
    ("add me back", Intent.opt_in),
    ("start the messages again", Intent.opt_in),
    ("updates bhejo phir se", Intent.opt_in),
    ("I'd like to opt in", Intent.opt_in),
    ("UNSTOP now", Intent.opt_in),
    ("okay", Intent.other),
    ("thx", Intent.other),
    ("👍", Intent.other),
    ("who are you", Intent.other),
    ("ok thank you", Intent.other),
    ("busy now", Intent.other),
    ("noted with thanks", Intent.other),
    ("k", Intent.other),
    ("sorry, sent by mistake", Intent.other),
    ("good night sir", Intent.other),
    ("haan theek hai", Intent.other),
    ("will get back to you", Intent.other),
]

# The acceptance bar for the shipped model with its rules. It scores about 96 % today; 85 %
# leaves room for the learning engine's retrained models to trade a few of these for the
# messages doctors really send, while a real regression (one intent in five misrouted) fails.
# Every misroute is softened downstream: low confidence falls back to `other`, and any
# conversation can be handed to a person.
OVERALL_ACCURACY = 0.85
# No single intent may collapse while the others carry the average.
PER_INTENT_ACCURACY = 0.75


class TestHeldOut:
    def test_the_held_out_set_covers_every_intent_and_is_not_in_the_training_data(
        self,
    ) -> None:
        per_intent = Counter(intent for _, intent in HELD_OUT)
        assert all(per_intent[intent] >= 8 for intent in MODEL_INTENTS)
        trained = {" ".join(words(text)) for text, _ in training_examples()}
        leaked = [text for text, _ in HELD_OUT if " ".join(words(text)) in trained]
        assert leaked == []

    def test_accuracy(self) -> None:
        results = [(intent, classify(text).intent) for text, intent in HELD_OUT]
        correct = sum(expected is got for expected, got in results)
        misses = [(text, expected, classify(text)) for text, expected in HELD_OUT]
        report = "\n".join(
            f"{expected} -> {got.intent} ({got.confidence:.2f}): {text}"
            for text, expected, got in misses
            if got.intent is not expected
        )
        assert correct / len(results) >= OVERALL_ACCURACY, report
        for intent in MODEL_INTENTS:
            outcomes = [expected is got for expected, got in results if expected is intent]
            assert sum(outcomes) / len(outcomes) >= PER_INTENT_ACCURACY, (intent, report)


class TestRules:
    @pytest.mark.parametrize(
        "text",
        [
            "STOP",
            "Stop.",
            "stop!!!",
            "UNSUBSCRIBE",
            "Stop All",
            "opt-out",
            "stop sending me messages",
            "Hi, please stop sending me messages, I am not interested",
            "don\u2019t message me",
            "remove my number from your list",
            "band karo",
            "msg bhejna band karo",
            "unsubscribe pls",
            "STOP ALL",
            "opt out",
            "Unsubcribe",
            "bnd karo",
            "msg band",
            "mat bhejo messages",
            "बंद करो",
            "बंद कीजिए",
            "मुझे मैसेज मत भेजो",
        ],
    )
    def test_opt_out(self, text: str) -> None:
        assert classify(text) == Classification(Intent.opt_out, 1.0, "rule")

    @pytest.mark.parametrize(
        "text",
        [
            "START",
            "start",
            "Unstop",
            "subscribe again",
            "resume messages",
            "messages chalu karo",
            "शुरू करो",
            "मैसेज फिर से चालू कीजिए",
        ],
    )
    def test_opt_in(self, text: str) -> None:
        assert classify(text) == Classification(Intent.opt_in, 1.0, "rule")

    @pytest.mark.parametrize(
        "text",
        [
            # A clause must be the whole opt-out or opt-in phrase, not merely contain a keyword.
            "when does the course stop",
            "stop sending me the wrong size",
            "how to stop bleeding from the trocar site",
            "subscribe me to the laparoscopy webinar",
            "can you start the delivery tomorrow",
            "abhi mat bhejo",
        ],
    )
    def test_keywords_inside_other_sentences_are_left_to_the_model(self, text: str) -> None:
        assert classify(text).source == "model"

    @pytest.mark.parametrize("text", ["mat bhejo", "मत भेजो"])
    def test_a_bare_dont_send_is_an_opt_out_guess_that_the_doctor_confirms(self, text: str) -> None:
        # It may be about a parcel: the model's guess makes the opt-out agent ask for STOP.
        result = classify(text)
        assert (result.intent, result.source) == (Intent.opt_out, "model")

    def test_stopping_the_bot_asks_for_a_person(self) -> None:
        assert classify("stop the bot") == Classification(Intent.human_request, 1.0, "rule")

    @pytest.mark.parametrize(
        "text",
        ["hi", "Hello doctor?", "namaste", "Good morning", "hey there", "hiiii sir", "नमस्ते"],
    )
    def test_bare_greetings(self, text: str) -> None:
        assert classify(text) == Classification(Intent.greeting, 1.0, "rule")

    def test_a_greeting_with_a_question_is_the_question(self) -> None:
        result = classify("hi, price of the 5mm trocar?")
        assert result.intent is Intent.product_question
        assert result.source == "model"

    @pytest.mark.parametrize("text", ["", "   ", "👍", "🙏🙏", "?", "k"])
    def test_nothing_to_classify_is_other_with_no_confidence(self, text: str) -> None:
        assert classify(text) == Classification(Intent.other, 0.0, "rule")


class TestModel:
    def test_scores_are_probabilities_over_every_intent_but_admin_command(self) -> None:
        result = classify("do you have titanium clips in stock")
        assert result.source == "model"
        assert set(result.scores) == set(MODEL_INTENTS)
        assert Intent.admin_command not in result.scores
        assert sum(result.scores.values()) == pytest.approx(1.0)
        assert result.confidence == max(result.scores.values())
        assert result.intent is Intent.product_question

    def test_an_unsure_guess_falls_back_to_other(self) -> None:
        # No feature of this text was seen in training: the prior alone is far below the bar.
        result = classify("zzxq vbnq")
        assert result.intent is Intent.other
        assert result.source == "model"
        assert result.confidence < CONFIDENCE_THRESHOLD

    def test_json_round_trip_predicts_identically(self) -> None:
        model = default_model()
        restored = IntentModel.from_json(model.to_json())
        for text, _ in HELD_OUT:
            assert restored.predict(text) == model.predict(text)

    def test_a_stored_model_with_other_features_is_refused(self) -> None:
        stored = json.loads(default_model().to_json())
        stored["feature_version"] = classifier.FEATURE_VERSION + 1
        with pytest.raises(ValueError, match="retrain"):
            IntentModel.from_json(json.dumps(stored))

    def test_retraining_with_an_example_changes_the_prediction(self) -> None:
        text = "CPD portal login"
        assert classify(text).intent is not Intent.course
        retrained = IntentModel.train(
            [
                *training_examples(),
                ("CPD portal login not working, where do I see my credits", Intent.course),
            ]
        )
        assert classify(text, model=retrained).intent is Intent.course

    def test_training_is_deterministic(self) -> None:
        first = IntentModel.train(training_examples())
        second = IntentModel.train(training_examples())
        assert first.to_json() == second.to_json()
        for text, _ in HELD_OUT:
            assert first.predict(text) == second.predict(text)

    def test_admin_command_is_never_learned(self) -> None:
        with pytest.raises(ValueError, match="admin_command"):
            IntentModel.train([("pause agent smart reply", Intent.admin_command)])

    def test_the_default_model_is_trained_once_under_concurrency(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(classifier, "_default_model", None)
        lock = ArrivalsLock()
        monkeypatch.setattr(classifier, "_model_lock", lock)
        loads = 0
        load = classifier.training_examples

        def slow_counting_load() -> list[tuple[str, Intent]]:
            nonlocal loads
            loads += 1
            # The first one trains until every thread of the pool has come for the model.
            wait_for(lambda: lock.arrivals == 8, message="the threads did not all come")
            return load()

        monkeypatch.setattr(classifier, "training_examples", slow_counting_load)
        with ThreadPoolExecutor(max_workers=8) as pool:
            models = list(pool.map(lambda _: default_model(), range(16)))
        assert loads == 1
        assert all(model is models[0] for model in models)


class ArrivalsLock:
    """A lock that counts the threads that have come for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counting = threading.Lock()
        self.arrivals = 0

    def __enter__(self) -> None:
        with self._counting:
            self.arrivals += 1
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


class TestTrainingData:
    def test_every_intent_the_model_predicts_has_enough_examples(self) -> None:
        per_intent = Counter(intent for _, intent in training_examples())
        assert Intent.admin_command not in per_intent
        assert all(per_intent[intent] >= 40 for intent in MODEL_INTENTS)
