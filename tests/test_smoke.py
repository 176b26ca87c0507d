"""The package imports and the embedded scenarios load."""

from backchannel.scenario import embedded_names, load_embedded, to_arrays


def test_embedded_scenarios_load() -> None:
    names = embedded_names()
    assert "iran_us_2019" in names
    for name in names:
        arrays = to_arrays(load_embedded(name))
        assert arrays.position.shape == (arrays.n_actors, arrays.n_issues)
