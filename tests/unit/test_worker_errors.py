"""ground.errors.factory_error_in: a FactoryError raised on a Ray worker reaches the caller as its one line,
whether Ray kept the exception object in the cause chain or only its traceback text (Ray Data UDF errors)."""

from ground.errors import FactoryError, MissingDependencyError, factory_error_in


class Wrapper(Exception):
    """Stands in for Ray's wrappers (RayTaskError, UserCodeException)."""


def test_found_in_the_cause_chain_as_the_same_object():
    inner = MissingDependencyError("pip install 'distill-factory[gpu]'")
    try:
        try:
            raise inner
        except MissingDependencyError as e:
            raise Wrapper("task failed") from e
    except Wrapper as w:
        assert factory_error_in(w) is inner


def test_rebuilt_from_traceback_text_only_for_our_factory_errors():
    text = ("ray::MapBatches(kd_batch)() (pid=16546)\n  File \"/x/students/kd.py\", line 51, in kd_examples\n"
            "ground.errors.FactoryError: method kd needs stored teacher top-k logprobs; row ca0c has none\n\n"
            "The above exception was the direct cause of the following exception:\n"
            "ray.exceptions.UserCodeException: UDF failed to process a data block.")
    fe = factory_error_in(Wrapper(text))
    assert type(fe) is FactoryError and str(fe) == "method kd needs stored teacher top-k logprobs; row ca0c has none"
    # a foreign error class, or one of ours that is not a FactoryError, is not turned into a user error line
    assert factory_error_in(Wrapper("somelib.errors.FactoryError: not ours")) is None
    assert factory_error_in(Wrapper("ground.record.ACCEPTED: not an exception class")) is None
    assert factory_error_in(Wrapper("ValueError: plain")) is None
