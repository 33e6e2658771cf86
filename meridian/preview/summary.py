"""One markdown pull-request comment for every stack, always under GitHub's 65,536-character limit.

Layout: a hidden marker (the workflow edits the comment holding it), the danger list, a table of counts per stack,
then per stack its changed resources in a `<details>` block. When the text is too long, the largest stack's
detail is collapsed one level at a time (values, then property paths, then the rows, then the counts by type),
until it fits; the danger list and the counts always stay, and the footer points to the workflow's artifacts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from meridian.preview.danger import Danger, dangers
from meridian.preview.model import GeneratedChange, ResourceChange, StackReport, ordered_ops

MARKER: Final = "<!-- meridian-preview -->"
LIMIT: Final = 65_536
"""GitHub's limit on a comment body, in characters (`len()` of the text)."""
MAX_LEVEL: Final = 4
MAX_PROPERTIES: Final = 12


@dataclass
class Comment:
    """What goes into the comment."""

    reports: list[StackReport]
    title: str = "Pulumi preview"
    allow: list[str] = field(default_factory=list)
    artifacts_url: str = ""
    intro: str = ""


def code(text: str) -> str:
    """Text as a code span that cannot break a table cell or the markup."""
    clean = " ".join(str(text).replace("`", "'").split()).replace("|", "\\|")
    return f"`{clean}`" if clean else ""


def _property(change_type: str, prop_path: str, kind: str, old: str | None, new: str | None, values: bool) -> str:
    text = code(prop_path) + (" (forces replace)" if change_type == "replace" else "")
    if not values:
        return text
    if kind == "add" and new is not None:
        return f"{text}: + {code(new)}"
    if kind == "delete" and old is not None:
        return f"{text}: - {code(old)}"
    if old is not None and new is not None:
        return f"{text}: {code(old)} → {code(new)}"
    return text


def _properties_cell(change: ResourceChange, values: bool) -> str:
    shown = [_property("replace" if p.replace else "", p.path, p.kind, p.old, p.new, values)
             for p in change.properties[:MAX_PROPERTIES]]
    more = len(change.properties) - MAX_PROPERTIES
    return "<br>".join(shown + ([f"… {more} more"] if more > 0 else []))


def _danger_section(found: list[Danger], reports: list[StackReport], why: bool, keep: int | None,
                    artifacts_url: str) -> list[str]:
    lines: list[str] = []
    blocked = [d for d in found if not d.allowed]
    failed = [r for r in reports if r.errors]
    if failed:
        lines += ["> [!WARNING]",
                  f"> **No complete result for {len(failed)} stack(s)**; this comment may miss changes."]
        lines += [f"> - {code(r.stack)}: {code(r.errors[0][:200])}" for r in failed]
        lines.append("")
    if not found:
        lines += ["> [!NOTE]", "> No stateful resource would be replaced or deleted.", ""]
        return lines
    if blocked:
        lines += ["> [!CAUTION]", f"> **{len(blocked)} stateful resource(s) would be replaced or deleted.** Data "
                  "held by them would be lost. Merging needs each one named with `--allow-replace` (label "
                  "`allow-stateful-replace` and an `allow-replace: <urn or name>` line in the description)."]
    else:
        lines += ["> [!IMPORTANT]", f"> {len(found)} stateful resource(s) would be replaced or deleted; "
                  "every one is explicitly allowed."]
    lines.append("")
    shown = found if keep is None else found[:keep]
    header = "| region | op | type | name |" + (" why |" if why else "") + " allowed |"
    lines += [header, "|---" * header.count(" |") + "|"]
    for danger in shown:
        change = danger.change
        reason = f" {code(change.why()[:200])} |" if why else ""
        lines.append(f"| {code(danger.region)} | **{change.op}** | {code(change.type)} | {code(change.name)} |"
                     f"{reason} {'yes' if danger.allowed else '**no**'} |")
    if len(shown) < len(found):
        lines.append(f"\n… and {len(found) - len(shown)} more; every one is in the workflow's artifacts"
                     + (f": {artifacts_url}" if artifacts_url else "") + ".")
    return [*lines, ""]


def _overview(reports: list[StackReport]) -> list[str]:
    ops = ordered_ops({op for report in reports for op in report.counts()})
    lines = ["| stack | " + " | ".join(ops) + " |" if ops else "| stack |", "|---" * (len(ops) + 1) + "|"]
    for report in reports:
        counts = report.counts()
        cells = [f"**{counts[op]}**" if op in ("replace", "delete") and counts[op] else str(counts[op]) for op in ops]
        lines.append(f"| {code(report.title)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _generated(items: list[GeneratedChange], level: int) -> list[str]:
    if not items:
        return []
    if level >= 3:
        counts = Counter(f"{item.artifact} {item.change}" for item in items)
        return ["Generated monitoring: " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())), ""]
    lines = ["**Generated monitoring**", ""]
    for item in items:
        details = "" if level >= 2 or not item.details else ": " + "; ".join(code(d[:160]) for d in item.details[:6])
        lines.append(f"- {item.artifact} {code(item.name)} {item.change}{details}")
    return [*lines, ""]


def _stack_section(report: StackReport, level: int) -> list[str]:
    counts = report.counts()
    summary = ", ".join(f"{counts[op]} {op}" for op in ordered_ops(set(counts))) or "no changes"
    lines = [f"### {code(report.title)}", "", summary, ""]
    if report.changes and level <= 2:
        lines += [f"<details><summary>{len(report.changes)} changed resource(s)</summary>", ""]
        header = "| op | type | name |" + (" changed properties |" if level < 2 else "")
        lines += [header, "|---" * header.count(" |") + "|"]
        for change in sorted(report.changes, key=lambda c: (c.op, c.type, c.name)):
            props = f" {_properties_cell(change, values=level == 0)} |" if level < 2 else ""
            lines.append(f"| {change.op} | {code(change.type)} | {code(change.name)} |{props}")
        lines += ["", "</details>", ""]
    elif report.changes and level == 3:
        by_type = Counter((change.type, change.op) for change in report.changes)
        lines += ["<details><summary>changed resources by type</summary>", "", "| type | op | count |",
                  "|---|---|---|"]
        lines += [f"| {code(t)} | {op} | {n} |" for (t, op), n in sorted(by_type.items())]
        lines += ["", "</details>", ""]
    return lines + _generated(report.generated, level)


class _Renderer:
    """Assembles the comment from parts, each rendered once per detail level."""

    def __init__(self, comment: Comment) -> None:
        self.comment = comment
        self.found = dangers(comment.reports, comment.allow)
        self.sections: dict[tuple[int, int], str] = {}
        self.overview = "\n".join(_overview(comment.reports))

    def section(self, index: int, level: int) -> str:
        if (index, level) not in self.sections:
            self.sections[index, level] = "\n".join(_stack_section(self.comment.reports[index], level))
        return self.sections[index, level]

    def text(self, levels: list[int], why: bool = True, keep: int | None = None) -> str:
        comment = self.comment
        parts = [MARKER, f"## {comment.title}: {len(comment.reports)} stack(s)", ""]
        if comment.intro:
            parts += [comment.intro, ""]
        parts += _danger_section(self.found, comment.reports, why, keep, comment.artifacts_url)
        parts.append(self.overview)
        parts += [self.section(index, level) for index, level in enumerate(levels)]
        link = f": {comment.artifacts_url}" if comment.artifacts_url else ""
        if any(levels) or not why:
            parts.append(f"Some detail was collapsed to fit GitHub's comment size limit; full detail in the "
                         f"workflow's artifacts{link}.")
        elif comment.artifacts_url:
            parts.append(f"Full detail in the workflow's artifacts{link}")
        return "\n".join(parts).rstrip() + "\n"


def render(comment: Comment, limit: int = LIMIT) -> str:
    """The comment, collapsing the largest stack's detail first until it is at most `limit` characters."""
    renderer = _Renderer(comment)
    levels = [0] * len(comment.reports)
    text = renderer.text(levels)
    while len(text) > limit and any(level < MAX_LEVEL for level in levels):
        sizes = [len(renderer.section(index, level)) if level < MAX_LEVEL else -1
                 for index, level in enumerate(levels)]
        levels[sizes.index(max(sizes))] += 1
        text = renderer.text(levels)
    if len(text) > limit:
        text = renderer.text(levels, why=False)
    if len(text) > limit:  # hundreds of dangers: as many rows as fit (binary search), the count stays in the head
        low, high = 1, len(renderer.found)
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if len(renderer.text(levels, False, middle)) <= limit else (low, middle - 1)
        text = renderer.text(levels, False, low)
    if len(text) > limit:  # only reachable with an absurd number of stacks: cut, keeping the marker first
        cut = "\n\n… cut to fit GitHub's comment size limit; full detail in the workflow's artifacts.\n"
        text = text[: limit - len(cut)] + cut
    return text
