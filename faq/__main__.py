"""`python -m faq`: ask the matcher, evaluate it on a labelled file, validate the base.

This entry point is the only part of the package that talks to the terminal; it uses argparse
so that the domain package stays free of the bot's CLI framework.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from faq import second_opinion, training
from faq.calibration import calibrate
from faq.check import check
from faq.evaluation import DatasetError, evaluate, read_examples
from faq.kb import (
    CALIBRATION_FILE,
    DEFAULT_DATA_DIR,
    LEARNT_DIR,
    KnowledgeBase,
    KnowledgeBaseError,
    load,
    write_calibration,
)
from faq.kinds import MessageKind
from faq.matcher import Matcher, MatchResult


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m faq", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="knowledge base directory (default: the shipped data/faq)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="match one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ev = commands.add_parser("eval", help="measure quality and latency on a JSON-lines file")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    chk = commands.add_parser("check", help="validate the knowledge base")
    chk.add_argument("--strict", action="store_true", help="fail on warnings too")
    cal = commands.add_parser(
        "calibrate",
        help="refit the confidence curve on the base (leave one phrasing out) and print it",
    )
    cal.add_argument(
        "--write",
        action="store_true",
        help=f"also write it to the base's {CALIBRATION_FILE}, which the matcher then reads",
    )
    commands.add_parser(
        "fit",
        help=f"fit the second opinion on the base's phrasings and learnt/ questions into "
        f"{second_opinion.FILE_NAME}",
    )
    decide = commands.add_parser(
        "decide",
        help="fit the decision over both readings on files of learnt/, each read by a second "
        "opinion fitted without it, and print it",
    )
    decide.add_argument("files", type=Path, nargs="+", help="labelled files of the base's learnt/")
    decide.add_argument("--workers", type=int, default=1, help="fits run side by side")
    crossval = commands.add_parser(
        "crossval",
        help="measure on each file of learnt/ a second opinion and a decision fitted without it",
    )
    crossval.add_argument(
        "files", type=Path, nargs="+", help="labelled files of the base's learnt/"
    )
    crossval.add_argument("--workers", type=int, default=1, help="fits run side by side")
    crossval.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _result_json(result: MatchResult) -> dict[str, object]:
    return {
        "id": result.entry.id if result.entry else None,
        "score": result.score,
        "suggestions": [{"id": s.entry.id, "score": s.score} for s in result.suggestions],
        "matched_phrasing": result.matched_phrasing,
        "kind": result.kind.value,
    }


def _print_result(result: MatchResult) -> None:
    if result.kind is not MessageKind.QUESTION:
        print(f"kind: {result.kind.value} (the chat does not answer it from the FAQ)")
    if result.entry is not None:
        print(f"{result.entry.id} (score {result.score:.2f}, via {result.matched_phrasing!r})")
        print(f"\n{result.entry.question}\n\n{result.entry.answer}")
    else:
        print(f"no confident answer (best score {result.score:.2f})")
    if result.suggestions:
        print("\nsuggestions:")
        for suggestion in result.suggestions:
            print(f"  {suggestion.score:.2f}  {suggestion.entry.id}: {suggestion.entry.question}")


def _ask(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    result = matcher.match(args.question)
    if args.json:
        print(json.dumps(_result_json(result), ensure_ascii=False))
    else:
        _print_result(result)
    return 0


def _eval(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    report = evaluate(matcher, read_examples(args.file))
    if args.json:
        print(json.dumps(report.metrics()))
        return 0
    print(
        f"n={report.n} (in scope {report.in_scope}, out of scope "
        f"{report.out_of_scope}), knowledge base loaded in {load_ms:.0f} ms"
    )
    for name, value in report.metrics().items():
        if name != "n":
            shown = f"{value:.3f}" if name.endswith("_ms") else f"{value:.1%}"
            print(f"  {name:<13}{shown}")
    for miss in report.misses:
        print(
            f"  miss: expected {miss.expected} got {miss.got} ({miss.score:.2f}): {miss.question}"
        )
    return 0


def _fit(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    classifier = training.fit(kb, matcher)
    target = Path(args.data) / second_opinion.FILE_NAME
    classifier.save(target, kb.digest)
    kinds = sum(c.startswith(second_opinion.NOT_QUESTION) for c in classifier.classes)
    learnt = sum(len(examples) for examples in kb.learnt.values())
    print(
        f"{len(classifier.classes) - kinds} entries and {kinds} kinds of non-question, "
        f"{learnt} labelled questions from {len(kb.learnt)} file(s) of {LEARNT_DIR}/, "
        f"{len(classifier.vocabulary)} features, written to {target}"
    )
    return 0


def _learnt_names(kb: KnowledgeBase, files: Sequence[Path]) -> list[str]:
    """The learnt/ file each path names (its file name), or a DatasetError."""
    names = [path.name for path in files]
    unknown = [name for name in names if name not in kb.learnt]
    if unknown:
        raise DatasetError(f"not files of the base's {LEARNT_DIR}/: {', '.join(unknown)}")
    return list(dict.fromkeys(names))


def _decide(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    names = _learnt_names(kb, args.files)
    folds = training.folds(Path(args.data), names, workers=args.workers)
    rows = training.out_of_fold_rows(kb, folds)
    fitted = training.fit_decision(rows)
    print(
        f"{fitted.questions} questions past the scope gate, {fitted.samples} candidates, "
        f"log loss {fitted.log_loss:.4f} (each file read by a second opinion fitted without it)"
    )
    print(f"decision = {fitted.beta}")
    print("on these files (out of fold), by decision_threshold and decision_margin:")
    for threshold in (0.5, 0.6, 0.7):
        for margin in (0.0, 0.3, 0.6):
            changes = {"decision_threshold": threshold, "decision_margin": margin}
            measured = training.cross_validate(
                kb, folds, refit_decision=False, tuning_changes={"decision": fitted.beta, **changes}
            )
            total = training.pooled(measured)
            print(
                f"  {threshold:.1f} {margin:.1f}  accuracy {total.accuracy:.1%}  "
                f"wrong {total.wrong:.1%}  out of scope answered {total.oos_answered:.1%}"
            )
    return 0


def _crossval(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    names = _learnt_names(kb, args.files)
    folds = training.folds(Path(args.data), names, workers=args.workers)
    measured = training.cross_validate(kb, folds)
    summary = training.summary(measured)
    if args.json:
        print(
            json.dumps(
                {"files": {m.name: m.report.metrics() for m in measured}, "summary": summary}
            )
        )
        return 0
    for item in measured:
        report = item.report
        print(
            f"  {item.name:<16} accuracy {report.accuracy:6.1%}  top3 {report.top3:6.1%}  "
            f"wrong {report.wrong:5.1%}  out of scope answered {report.oos_answered:5.1%}"
        )
    for name, (mean, worst) in summary.items():
        print(f"{name:<13} mean {mean:6.1%}  worst {worst:6.1%}")
    return 0


def _calibrate(
    args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float
) -> int:
    fitted = calibrate(kb, args.data)
    print(
        f"{fitted.samples} samples, held-out top-1 {fitted.top1:.1%}, "
        f"log loss {fitted.log_loss:.4f}"
    )
    print(f"calibration = {fitted.tuning.calibration}")
    if args.write:
        print(f"written to {write_calibration(args.data, fitted.tuning.calibration)}")
    return 0


def _check(args: argparse.Namespace, kb: KnowledgeBase, matcher: Matcher, load_ms: float) -> int:
    result = check(kb, matcher)
    for error in result.errors:
        print(f"error: {error}")
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(
        f"{len(kb.entries)} entries, {len(result.errors)} errors, {len(result.warnings)} warnings"
    )
    return 1 if not result.ok or (args.strict and result.warnings) else 0


# Each sub-command gets the parsed arguments, the loaded base, its matcher and the load time.
_COMMANDS: dict[str, Callable[[argparse.Namespace, KnowledgeBase, Matcher, float], int]] = {
    "ask": _ask,
    "eval": _eval,
    "fit": _fit,
    "calibrate": _calibrate,
    "decide": _decide,
    "crossval": _crossval,
    "check": _check,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        started = time.perf_counter()
        kb = load(args.data)
        matcher = Matcher(kb)
        load_ms = (time.perf_counter() - started) * 1000.0
        return _COMMANDS[args.command](args, kb, matcher, load_ms)
    except (KnowledgeBaseError, DatasetError, second_opinion.FittingUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _main_piped() -> int:
    try:
        return main()
    except BrokenPipeError:
        # The reader stopped early (`… | head`): not an error of ours. Point stdout at
        # /dev/null so that flushing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(_main_piped())
