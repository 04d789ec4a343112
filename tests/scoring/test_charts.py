import xml.etree.ElementTree as ET

from undertow.scoring.charts import (
    colours,
    interval_chart,
    reliability_diagram,
    success_curves,
    survival_curves,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_reliability_diagram_has_a_point_per_bin_and_the_diagonal() -> None:
    series = {
        "n": 30,
        "worlds": 12,
        "ece": {"value": 0.1, "low": 0.04, "high": 0.21, "worlds": 12, "why": None},
        "bins": [
            {"bin": 2, "n": 10, "confidence": 0.25, "accuracy": 0.2},
            {"bin": 9, "n": 20, "confidence": 0.95, "accuracy": 0.8},
        ],
    }
    root = parse(reliability_diagram("sloppy", "#123456", series))
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == 2 and all(c.get("fill") == "#123456" for c in circles)
    assert float(circles[1].get("r")) > float(circles[0].get("r")), "area grows with n"
    assert any(p.get("stroke-dasharray") for p in root.findall(f".//{SVG}path"))
    assert root.find(f"{SVG}text").text == "sloppy: ECE 0.10 [0.04, 0.21]"
    assert any(t.text == "stated confidence (n=30 in 12 worlds)" for t in root.iter(f"{SVG}text"))
    series["ece"] = {"value": None, "low": None, "high": None, "worlds": 0, "why": "none"}
    assert (
        "ECE not estimable"
        in parse(reliability_diagram("s", "#000", series)).find(f"{SVG}text").text
    )


def test_success_curves_draw_points_fits_and_a_legend() -> None:
    points = [{"x": x, "rate": r, "n": 4, "low": 0.0, "high": 1.0} for x, r in ((2, 1), (8, 0.5))]
    series = {"a": {"points": points, "fit": {"intercept": 2.0, "slope": -0.5, "range": [2, 5]}}}
    plot = success_curves("t", "x", series, "fit", colours(["a"]))
    root = parse(plot)
    assert len(root.findall(f".//{SVG}circle")) == 2
    assert len(root.findall(f".//{SVG}rect")) == 1  # the legend's swatch
    (fitted,) = [p for p in root.findall(f".//{SVG}path") if p.get("d", "").count("L") == 40]
    xs = [float(point.split(",")[0]) for point in fitted.get("d")[1:].split("L")]
    circles = sorted(float(c.get("cx")) for c in root.findall(f".//{SVG}circle"))
    assert circles[0] <= min(xs) and max(xs) < circles[1], "the fit stays in its range [2, 5]"


def test_survival_steps_down() -> None:
    root = parse(survival_curves({"a": [[0, 1.0], [5, 0.5], [9, 0.0]]}, {"a": "#000"}))
    (curve,) = [
        p
        for p in root.findall(f".//{SVG}path")
        if "H" in p.get("d", "") and "V" in p.get("d", "") and p.get("stroke") == "#000"
    ]
    assert curve.get("d").count("V") == 3


def test_interval_chart_marks_only_called_differences() -> None:
    rows = [("x", 0.5, 0.2, 0.8, True), ("y", 0.1, -0.3, 0.5, False), ("z", 0.4, 0.1, 0.7, False)]
    root = parse(interval_chart("d", rows))
    bars = [b for b in root.findall(f".//{SVG}line") if b.get("stroke-width") == "2"]
    assert [b.get("stroke") for b in bars] == [colours(["a", "b"])["b"], "#999", "#999"]


def test_colours_are_stable_per_agent() -> None:
    assert colours(["b", "a"]) == colours(["a", "b"])
    assert len(set(colours(["a", "b", "c"]).values())) == 3
