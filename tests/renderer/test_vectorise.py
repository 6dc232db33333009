"""The stroke vectoriser (renderer/vectorise.py): marching squares, rings, SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from renderer.vectorise import cell_cases, field_to_svg, ink_contours, trace_contours


def _disk(radius: float, inner: float = 0.0, side: int = 64) -> np.ndarray:
    y, x = np.mgrid[:side, :side]
    r = np.hypot(x - (side - 1) / 2, y - (side - 1) / 2)
    return ((r < radius) & (r >= inner)).astype(float)


def test_cell_cases_number_the_corners_clockwise_from_top_left() -> None:
    above = np.array([[1, 0, 0], [0, 0, 1]], bool)
    np.testing.assert_array_equal(cell_cases(above), [[1, 4]])
    np.testing.assert_array_equal(cell_cases(np.ones((2, 2), bool)), [[15]])
    np.testing.assert_array_equal(cell_cases(np.array([[0, 1], [1, 0]], bool)), [[10]])


def test_contours_of_a_disk_and_a_ring() -> None:
    (ring,) = trace_contours(_disk(10))
    points = np.array(ring)
    radii = np.hypot(points[:, 0] - 32.0, points[:, 1] - 32.0)
    assert radii.min() > 9.0 and radii.max() < 11.0
    assert len(trace_contours(_disk(20, inner=10))) == 2  # outer edge and the hole
    assert trace_contours(np.zeros((8, 8))) == []
    with pytest.raises(ValueError, match="2-D"):
        trace_contours(np.zeros(5))


def test_a_single_ink_pixel_is_a_diamond_around_its_centre() -> None:
    field = np.zeros((3, 3))
    field[1, 1] = 1.0
    (ring,) = trace_contours(field, 0.5)
    assert sorted(ring) == [(1.0, 1.5), (1.5, 1.0), (1.5, 2.0), (2.0, 1.5)]


def test_ink_contours_follow_the_smooth_field_the_show_draws() -> None:
    """A hard-edged (staircase) disc of radius 20 px becomes one ring rounder than the
    raw field's own contour, centred on the true radius."""
    disc = (_disk(20) * 255).astype(np.uint8)
    (ring,) = ink_contours(disc)
    (raw,) = trace_contours(disc / 255.0)

    def radii(points: list[tuple[float, float]]) -> np.ndarray:
        p = np.array(points)
        return np.hypot(p[:, 0] - 32.0, p[:, 1] - 32.0)

    smooth = radii(ring)
    assert len(ring) >= 2 * len(raw)  # traced on the ×2 grid
    assert abs(smooth.mean() - 20.0) < 0.2
    assert np.ptp(smooth) < 0.7 < np.ptp(radii(raw))
    assert ink_contours(np.zeros((8, 8), np.uint8)) == []


def test_svg_is_valid_xml_with_one_evenodd_path() -> None:
    svg = field_to_svg((_disk(20, inner=10) * 255).astype(np.uint8), scale=2)
    root = ET.fromstring(svg.split("\n", 1)[1])
    assert root.tag.endswith("svg") and root.attrib["width"] == "128"
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert len(paths) == 1 and paths[0].attrib["fill-rule"] == "evenodd"
    assert paths[0].attrib["d"].count("M ") == 2
    empty = ET.fromstring(field_to_svg(np.zeros((4, 4))).split("\n", 1)[1])
    assert not [el for el in empty.iter() if el.tag.endswith("path")]
    with pytest.raises(ValueError, match="2-D"):
        field_to_svg(np.zeros((2, 2, 2)))
