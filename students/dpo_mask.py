"""DPO on tool-use pairs trains what the assistant wrote, not what the tools returned.

TRL's ``DPOTrainer`` scores every completion token, so in a tool-use pair the tool results inside ``chosen`` and
``rejected`` (the environment's output, different in each) counted as if the policy had written them: the
preference pushed the student to predict tool outputs. :class:`ToolMaskCollator` wraps TRL's preference
collator and zeroes ``completion_mask`` on the tokens that are not the assistant's, located with the same render
SFT trains with (students/render.py ``encode_conversation``: assistant turns after the prompt, each with its end
token). Both the policy's and the reference's log-probabilities are summed over that mask, so masked tokens leave
the DPO margin. Pairs without tool messages are untouched.

    >>> from trl.trainer.dpo_trainer import DataCollatorForPreference
    >>> collator = tool_mask_collator(DataCollatorForPreference, tok, pad_token_id=tok.pad_token_id)

The collator needs the raw sides next to TRL's token ids (``DPOConfig(remove_unused_columns=False)``). When our
render does not give TRL's token ids for a side (another tokenisation of the same text), that side is left
unmasked and one WARNING says so.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def has_tool_turns(ex: dict) -> bool:
    return any(m.get("role") == "tool" for side in ("chosen", "rejected") for m in ex.get(side) or [])


def completion_keep(tok: Any, prompt: list[dict], side: list[dict], tools: list[dict] | None,
                    prompt_ids: list[int], side_ids: list[int]) -> list[int] | None:
    """1 for each token of ``side_ids`` the assistant wrote, 0 for the rest (tool results, turn headers); None
    when the render of prompt + side is not TRL's ``prompt_ids + side_ids``."""
    from students.render import encode_conversation

    for split in (True, False):  # TRL tokenises the text whole; a token straddling a turn's edge is then not split
        enc = encode_conversation(tok, [*prompt, *side], tools, start=len(prompt), split=split)
        if len(enc) == 1 and enc[0]["input_ids"] == [*prompt_ids, *side_ids]:
            return enc[0]["assistant_masks"][len(prompt_ids):]
    return None


def tool_mask_collator(base: type, tok: Any, **kwargs) -> Any:
    """An instance of a subclass of TRL's preference collator ``base`` that masks tool results (module doc)."""

    class ToolMaskCollator(base):
        warned = False

        def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
            out = super().torch_call(examples)
            if "completion_mask" not in out or getattr(self, "truncation_mode", "keep_start") != "keep_start":
                return out
            n, width = len(examples), out["completion_mask"].shape[1]
            for i, ex in enumerate(examples):
                if "prompt_ids" not in ex or not has_tool_turns(ex):
                    continue
                tools = json.loads(ex["tools"]) if isinstance(ex.get("tools"), str) else ex.get("tools")
                for row, side in ((i, "chosen"), (n + i, "rejected")):
                    keep = completion_keep(tok, ex["prompt"], ex[side], tools, ex["prompt_ids"], ex[f"{side}_ids"])
                    if keep is None:
                        self._warn()
                        continue
                    start = len(ex["prompt_ids"])
                    for j, k in enumerate(keep[: max(0, width - start)]):
                        if not k:
                            out["completion_mask"][row, start + j] = 0
            return out

        def _warn(self) -> None:
            if not type(self).warned:
                type(self).warned = True
                log.warning("DPO: a tool-use pair's tokens differ from the student render's, so its tool results stay in "
                            "the DPO loss (other pairs are masked)")

    return ToolMaskCollator(**kwargs)
