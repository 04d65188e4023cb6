"""Teachers: one ``Teacher`` protocol, one engine per file, a content-addressed request cache.

    >>> from teachers import GenRequest, SamplingParams
    >>> req = GenRequest(key="k", messages=[{"role": "user", "content": "Hi"}], params=SamplingParams(max_tokens=8))
"""

from teachers.base import GenRequest, GenResult, SamplingParams, Teacher
from teachers.registry import ENGINES, make_teacher

__all__ = ["GenRequest", "GenResult", "SamplingParams", "Teacher", "ENGINES", "make_teacher"]
