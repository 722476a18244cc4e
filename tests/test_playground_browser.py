"""The playground page in a real browser: Debian's Chromium driven by Playwright.

The real server runs in-process (uvicorn in a thread, on a free 127.0.0.1 port) with the app
factory of ``nnblocks.web.playground.app``; each test opens its own page, so its own WebSocket
session. The page keeps what it last received in ``window.nnblocksPlayground`` (state, data,
frame), which the tests read; everything else goes through the page as a learner uses it:
clicks, the keyboard, file pickers and downloads.

Chromium is Debian's package (``apt-get install chromium``; ``.ci/run`` installs it when missing),
never a browser that Playwright downloads. Screenshots go to /tmp/playground-shots/.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SHOTS = Path("/tmp/playground-shots")

if not CHROMIUM.exists():
    pytest.skip("the browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the browser tests need Playwright's Python package (pip install playwright)")
uvicorn = pytest.importorskip("uvicorn", reason="the playground server needs uvicorn")

from nnblocks.web.playground.app import create_app  # noqa: E402  (after the skips above)
from nnblocks.web.playground.frames import read_frame  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="playground-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the playground server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


class Page:
    """One browser tab on the playground, with the console errors it logged."""

    def __init__(self, browser, base_url: str, query: str = ""):
        self.context = browser.new_context(viewport={"width": 1400, "height": 940}, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base_url = base_url
        self.open(query)

    def open(self, query: str = "") -> None:
        self.page.goto(self.base_url + "/" + query)
        self.wait_for_frame()

    def js(self, expression: str, argument=None):
        return self.page.evaluate(expression, argument)

    def wait(self, expression: str, argument=None, timeout: float = 15_000) -> None:
        self.page.wait_for_function(expression, arg=argument, timeout=timeout)

    def wait_for_frame(self) -> None:
        self.wait("() => { const p = window.nnblocksPlayground; return p && p.state && p.data && p.frame; }")

    def frame(self) -> dict:
        return self.js("() => window.nnblocksPlayground.frame")

    def state(self) -> dict:
        return self.js("() => window.nnblocksPlayground.state")

    def epoch(self) -> int:
        return self.js("() => window.nnblocksPlayground.frame?.epoch")

    def canvas_pixels(self, selector: str) -> dict:
        """A fingerprint of a canvas's pixels: how many are painted, how many distinct colours, a checksum."""
        return self.js(CANVAS_FINGERPRINT, selector)

    def wait_for_canvas_change(self, selector: str, before: dict) -> None:
        self.wait(f"(before) => JSON.stringify(({CANVAS_FINGERPRINT})({selector!r})) !== JSON.stringify(before)", before)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / name), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser, base_url, shots):
    pages: list[Page] = []

    def opener(query: str = "") -> Page:
        page = Page(browser, base_url, query)
        pages.append(page)
        return page

    yield opener
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    assert errors == [], f"the page logged errors: {errors}"


CANVAS_FINGERPRINT = """(selector) => {
    const canvas = document.querySelector(selector);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, checksum = 0;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        painted++;
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        checksum = (checksum * 31 + data[i] * 7 + data[i + 1] * 3 + data[i + 2] + i) % 1000000007;
    }
    return {painted, colours: colours.size, checksum};
}"""

# Whether the page's output map (a Float32Array) holds exactly the numbers given (a list from an earlier frame).
SAME_OUTPUT = """(before) => {
    const output = window.nnblocksPlayground.frame.output;
    return output.length === before.length && output.every((value, index) => value === before[index]);
}"""

QUICK = "?dataset=circle&hidden=4,2&features=x1,x2&seed=3&learning_rate=0.03&optimizer=adam&epochs_per_frame=5"


def test_the_page_loads_without_console_errors(open_page):
    tab = open_page()
    page = tab.page
    assert page.title() == "nnblocks playground"
    assert page.locator("#datasets .dataset").count() >= 6
    assert page.locator(".feature").count() == 7
    hidden = tab.state()["hidden"]
    assert page.locator(".hidden-neuron").count() == sum(hidden)
    assert page.locator(".output-node").count() >= 1
    assert page.locator("svg.links path.link").count() > 0
    assert page.locator("#train-loss").inner_text() not in ("", "–")
    assert "seed=" in page.url and "dataset=" in page.url        # the state went into the address bar
    heatmap = tab.canvas_pixels("#output-heatmap")
    assert heatmap["painted"] == 100 * 100 and heatmap["colours"] > 10   # the output map is painted
    # Nothing comes from another host: every request the page made went to our server.
    requests = page.evaluate("() => performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert all(url.startswith(tab.base_url) for url in requests), requests
    tab.shot("01-loaded.png")


def test_play_trains_and_the_loss_falls(open_page):
    tab = open_page(QUICK)
    page = tab.page
    before = tab.frame()["train_loss"]
    assert tab.epoch() == 0
    page.locator("body").press("Space")                           # the keyboard: space is play/pause
    tab.wait("() => window.nnblocksPlayground.frame?.epoch >= 100", timeout=30_000)
    page.locator("body").press("Space")
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    tab.wait("() => !window.nnblocksPlayground.playing")
    after = tab.frame()["train_loss"]
    assert after < 0.7 * before, (before, after)
    epoch_text = page.locator("#epoch").inner_text()
    assert epoch_text.replace(",", "").lstrip("0") != ""
    page.locator("#show_test").check()
    tab.wait("() => window.nnblocksPlayground.state?.show_test === true")
    # The chain-rule view: click a point of the output map.
    page.locator("#output-points").click(position={"x": 200, "y": 110})
    page.locator("#explain").wait_for(state="visible")
    assert page.locator("#explain-body").inner_text().strip() != ""
    tab.shot("02-trained.png")


def test_a_frame_arrives_as_one_binary_message_and_is_read_through_views(open_page):
    tab = open_page(QUICK)                                              # two classes, hidden layers 4 and 2
    payloads: list = []

    def keep(payload) -> None:   # a function of our own: Playwright tags its handlers, which a builtin method refuses
        payloads.append(payload)

    tab.page.on("websocket", lambda websocket: websocket.on("framereceived", keep))
    tab.open(QUICK)                                                     # a new socket, watched from its start
    deadline = time.monotonic() + 10
    while not any(isinstance(payload, bytes) for payload in payloads) and time.monotonic() < deadline:
        tab.page.wait_for_timeout(50)                                   # the events reach Python a little later
    binary = [payload for payload in payloads if isinstance(payload, bytes)]
    texts = [json.loads(payload) for payload in payloads if isinstance(payload, str)]
    assert binary, "no binary message came"
    assert "frame" not in [message["type"] for message in texts]        # frames never come as text now
    assert {"state", "data"} <= {message["type"] for message in texts}  # the rest still does

    header, numbers = read_frame(binary[0])
    page_frame = tab.frame()
    assert header["epoch"] == page_frame["epoch"] == 0
    start, count = header["arrays"]["parameters"]
    assert page_frame["parameters"] == numbers[start:start + count].tolist()
    start, count = header["arrays"]["output"]
    assert page_frame["output"] == numbers[start:start + count].tolist()
    # The page reads the numbers as Float32Array views on the message's one buffer, cut by the header.
    read = tab.js("""() => {
        const frame = window.nnblocksPlayground.frame;
        const arrays = [frame.parameters, frame.output, frame.neurons.inputs, ...frame.neurons.hidden];
        return {
            float32: arrays.every((array) => array instanceof Float32Array),
            oneBuffer: arrays.every((array) => array.buffer === frame.output.buffer),
            outputLength: frame.output.length,
            outputInUnitRange: frame.output.every((value) => value >= 0 && value <= 1),
            hiddenLengths: frame.neurons.hidden.map((layer) => layer.length),
            inputsLength: frame.neurons.inputs.length,
            weightsArePlainArrays: Array.isArray(frame.weights[0][0]) && Array.isArray(frame.biases[0]),
        };
    }""")
    assert read == {"float32": True, "oneBuffer": True, "outputLength": 100 * 100, "outputInUnitRange": True,
                    "hiddenLengths": [4 * 20 * 20, 2 * 20 * 20], "inputsLength": 2 * 20 * 20,
                    "weightsArePlainArrays": True}


def test_toggling_a_feature_resets_the_net(open_page):
    tab = open_page(QUICK)
    page = tab.page
    page.locator("#step").click()
    tab.wait("() => window.nnblocksPlayground.frame?.epoch > 0")
    page.locator('.feature[data-feature="x1^2"]').click()
    tab.wait("() => window.nnblocksPlayground.state?.features.includes('x1^2')")
    tab.wait("() => window.nnblocksPlayground.frame?.epoch === 0 && window.nnblocksPlayground.frame?.weights[0].length === 3")
    assert page.locator('.feature[data-feature="x1^2"]').get_attribute("aria-pressed") == "true"
    assert "x1^2" in page.url
    # The layer controls change the network too.
    page.locator("#add-layer").click()
    tab.wait("() => window.nnblocksPlayground.state?.hidden.length === 3")
    assert page.locator(".hidden-neuron").count() == sum(tab.state()["hidden"])


def test_a_shared_url_restores_the_same_network(open_page):
    first = open_page("?dataset=xor&hidden=3,2&noise=10&seed=11")
    shared_url = first.page.url
    frame, data = first.frame(), first.js("() => window.nnblocksPlayground.data")
    second = open_page(shared_url.removeprefix(first.base_url + "/"))
    assert second.page.url == shared_url
    again = second.frame()
    assert again["epoch"] == 0
    assert again["weights"] == frame["weights"] and again["biases"] == frame["biases"]
    assert again["train_loss"] == frame["train_loss"] and again["test_loss"] == frame["test_loss"]
    assert second.js("() => window.nnblocksPlayground.data") == data
    # Classroom mode: controls named in hide= are gone.
    third = open_page("?dataset=xor&hide=noise,regenerate,optimizer")
    assert not third.page.locator("#noise").is_visible()
    assert not third.page.locator("#regenerate").is_visible()
    assert not third.page.locator("#optimizer").is_visible()
    assert third.page.locator("#learning_rate").is_visible()
    assert "hide=noise,regenerate,optimizer" in third.page.url


def test_a_diverging_network_shows_the_cause_and_resets_at_a_lower_rate(open_page):
    tab = open_page("?dataset=plane&hidden=8,8,8&activation=relu&learning_rate=3&seed=2")
    page = tab.page
    page.locator("#play").click()
    banner = page.locator("#banner")
    banner.wait_for(state="visible")
    assert "learning rate" in banner.inner_text()
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    # The server sends null for a loss that is not a number; the page says which, "–" is for no rows.
    assert page.locator("#train-loss").inner_text() in ("NaN", "∞")
    assert page.locator("#test-loss").inner_text() in ("NaN", "∞")
    tab.shot("05-diverged.png")
    page.locator("#banner-action").click()          # "Reset at learning rate 0.3"
    tab.wait("() => window.nnblocksPlayground.state?.learning_rate < 3 && window.nnblocksPlayground.frame?.epoch === 0")
    tab.wait("() => window.nnblocksPlayground.frame?.train_loss !== null")
    assert not banner.is_visible()
    assert "learning_rate=0.3" in page.url
    assert page.locator("#train-loss").inner_text() not in ("NaN", "∞", "–")


def test_tab_reaches_a_layers_size_buttons_before_its_neurons(open_page):
    tab = open_page("?dataset=circle&hidden=2,2&seed=3")
    page = tab.page
    page.locator('.feature[data-feature="sin(x2)"]').focus()         # the last feature toggle
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(tab.js("() => document.activeElement.getAttribute('aria-label')"))
    assert order == [
        "Add a neuron to hidden layer 1", "Remove a neuron from hidden layer 1",
        "Hidden layer 1, neuron 1: edit its bias and incoming weights",
        "Hidden layer 1, neuron 2: edit its bias and incoming weights",
        "Add a neuron to hidden layer 2", "Remove a neuron from hidden layer 2",
        "Hidden layer 2, neuron 1: edit its bias and incoming weights",
        "Hidden layer 2, neuron 2: edit its bias and incoming weights",
    ], order


def people_csv(folder: Path, age: bool = False) -> Path:
    """60 people in two overlapping clouds (centimetres, kilograms, and years when ``age``), kind 0 or 1."""
    draw = random.Random(0)
    rows = ["height,weight,age,kind" if age else "height,weight,kind"]
    for i in range(60):
        kind = i % 2
        cells = [f"{draw.gauss(165 + 12 * kind, 6):.1f}", f"{draw.gauss(60 + 14 * kind, 7):.1f}"]
        if age:
            cells.append(str(draw.randint(18, 80)))
        rows.append(",".join([*cells, str(kind)]))
    csv = folder / "people.csv"
    csv.write_text("\n".join(rows) + "\n")
    return csv


def choose_csv(page, csv: Path) -> None:
    """Open the CSV panel and pick the file; the column choice appears."""
    page.locator(".upload summary").click()
    page.locator("#csv-file").set_input_files(str(csv))
    page.locator("#csv-columns").wait_for(state="visible")


def test_csv_upload_shows_the_points(open_page, tmp_path):
    csv = people_csv(tmp_path)
    tab = open_page()
    page = tab.page
    before = tab.canvas_pixels("#output-points")
    choose_csv(page, csv)
    assert page.locator("#csv-features input:checked").evaluate_all("(boxes) => boxes.map((b) => b.value)") == \
        ["height", "weight"]
    assert page.locator("#csv-target").input_value() == "kind"
    page.locator("#csv-use").click()
    tab.wait("() => window.nnblocksPlayground.pointCount === 60")
    tab.wait("() => window.nnblocksPlayground.frame && window.nnblocksPlayground.frame?.epoch === 0")
    after = tab.canvas_pixels("#output-points")
    assert after != before and after["painted"] > 0
    # The toggles keep their meaning (x1, x2, x1², ...) under the table's own column names.
    assert page.locator(".feature-label").all_inner_texts()[:3] == ["height", "weight", "height²"]
    tab.shot("03-csv.png")


def test_the_csv_status_says_when_a_built_in_set_replaced_the_table(open_page, tmp_path):
    tab = open_page(QUICK)
    page = tab.page
    status = page.locator("#csv-status")
    choose_csv(page, people_csv(tmp_path))
    assert status.inner_text() == "people.csv: 60 rows, 3 columns."
    page.locator("#csv-use").click()
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'csv'")
    assert status.inner_text() == "In use: height, weight → kind."
    page.locator('.dataset[data-dataset="xor"]').click()              # back to a built-in set
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'xor'")
    text = status.inner_text()
    assert "In use" not in text and "height" not in text, text
    assert text.startswith("No CSV in use"), text
    assert "xor" in text and "people.csv" in text, text
    tab.shot("06-csv-after-built-in.png")
    page.locator("#csv-use").click()                                    # the table comes back on request
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'csv'")
    assert status.inner_text() == "In use: height, weight → kind."


def test_a_csv_needs_two_feature_columns_before_it_is_sent(open_page, tmp_path):
    tab = open_page(QUICK)
    page = tab.page
    choose_csv(page, people_csv(tmp_path, age=True))
    use, hint = page.locator("#csv-use"), page.locator("#csv-hint")
    assert use.is_enabled() and not hint.is_visible()                   # height and weight are ticked
    page.locator('#csv-features input[value="weight"]').uncheck()       # one feature column left
    assert use.is_disabled()
    assert hint.is_visible() and "at least two feature columns" in hint.inner_text()
    use.click(force=True)                                               # a click on the disabled button sends nothing
    page.wait_for_timeout(300)
    assert tab.state()["dataset"] == "circle"
    assert not page.locator("#csv-status").inner_text().startswith(("Sent", "Sending", "In use"))
    assert not page.locator("#banner").is_visible()                     # and so the server never refused it
    page.locator('#csv-features input[value="age"]').check()            # two again: height and age
    assert use.is_enabled() and not hint.is_visible()
    page.locator("#csv-target").select_option("height")                 # the target may not be a feature either
    assert use.is_disabled() and "not a feature" in hint.inner_text()
    page.locator("#csv-target").select_option("kind")
    assert use.is_enabled() and not hint.is_visible()
    use.click()
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'csv'")
    assert tab.state()["csv"] == {"features": ["height", "age"], "target": "kind"}
    assert page.locator("#csv-status").inner_text() == "In use: height, age → kind."


def test_the_chain_rule_view_shows_derived_features_without_markdown_escapes(open_page):
    tab = open_page("?dataset=circle&hidden=3&features=x1,x2,x1*x2&seed=3")
    page = tab.page
    page.locator("#output-points").click(position={"x": 200, "y": 110})
    page.locator("#explain").wait_for(state="visible")
    tab.wait("() => [...document.querySelectorAll('#explain-body td')].length > 0")
    cells = page.locator("#explain-body td").all_inner_texts()
    assert any(cell.strip() == "x1*x2" for cell in cells), cells      # the server writes x1\*x2 in its Markdown
    assert "\\" not in page.locator("#explain-body").inner_text()
    tab.shot("07-chain-rule.png")
    # The other escapes, and products that must not turn into emphasis, through the page's own renderer.
    rendered = tab.js(r"""async () => {
        const { renderMarkdown } = await import('/explain.js');
        const box = document.createElement('div');
        renderMarkdown(box, '| feature | note |\n|---|---|\n| x1\\*x2 and x2\\*x1 | a\\_b \\| c |\n\n' +
            '**sum of x1\\*x2** and *a \\# note*');
        return {cells: [...box.querySelectorAll('td')].map((cell) => cell.textContent),
                italics: [...box.querySelectorAll('em')].map((node) => node.textContent),
                bold: [...box.querySelectorAll('strong')].map((node) => node.textContent)};
    }""")
    assert rendered == {"cells": ["x1*x2 and x2*x1", "a_b | c"], "italics": ["a # note"], "bold": ["sum of x1*x2"]}


def test_the_batch_size_slider_steps_one_by_one_through_small_sizes(open_page):
    tab = open_page(QUICK)
    page = tab.page
    slider, shown = page.locator("#batch_size"), page.locator("#batch_size_value")
    assert tab.state()["batch_size"] == 10 and shown.inner_text() == "10"
    slider.focus()
    slider.press("ArrowRight")                                          # one stop is one size up to 30
    tab.wait("() => window.nnblocksPlayground.state?.batch_size === 11")
    assert shown.inner_text() == "11" and "batch_size=11" in page.url
    assert slider.get_attribute("aria-valuetext") == "11"
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    tab.wait("() => window.nnblocksPlayground.state?.batch_size === 9")
    assert shown.inner_text() == "9" and "batch_size=9" in page.url
    # 1..30 take most of the slider, so 10 and 30 lie far apart under the mouse.
    stops = int(slider.get_attribute("max")) + 1
    assert 30 < stops <= 45, stops
    slider.press("End")                                                 # the largest size the server accepts
    largest = tab.js("() => window.nnblocksPlayground.options.limits?.max_batch_size ?? 1000")
    tab.wait("(largest) => window.nnblocksPlayground.state?.batch_size === largest", largest)
    assert shown.inner_text() == str(largest) and f"batch_size={largest}" in page.url
    # A shared link may hold a size between the stops: the slider shows it exactly and steps on from it.
    other = open_page("?dataset=circle&batch_size=37&seed=3")
    assert other.state()["batch_size"] == 37
    assert other.page.locator("#batch_size_value").inner_text() == "37" and "batch_size=37" in other.page.url
    other.page.locator("#batch_size").focus()
    other.page.locator("#batch_size").press("ArrowRight")
    other.wait("() => window.nnblocksPlayground.state?.batch_size === 40")
    assert other.page.locator("#batch_size_value").inner_text() == "40"


def test_editing_a_weight_changes_the_heatmap(open_page):
    tab = open_page(QUICK)
    page = tab.page
    before = tab.canvas_pixels("#output-heatmap")
    # A link: hovering shows its value, clicking opens the editor for that one weight.
    link = page.locator("svg.links path.hit").first
    link.dispatch_event("mouseenter", {"clientX": 400, "clientY": 300})
    assert "Weight" in page.locator("#hovercard").inner_text()
    link.dispatch_event("click")
    page.locator("#editor").wait_for(state="visible")
    page.locator("#editor-field-0").fill("4.5")
    tab.shot("04-edit-weight.png")
    page.locator("#editor-apply").click()
    tab.wait("() => window.nnblocksPlayground.frame?.weights[0][0][0] === 4.5")
    tab.wait_for_canvas_change("#output-heatmap", before)
    # The output bias: click the output node, change the bias.
    middle = tab.canvas_pixels("#output-heatmap")
    page.locator(".output-node").first.click()
    page.locator("#editor-field-0").fill("-3")
    page.locator("#editor-field-0").press("Enter")
    tab.wait("() => window.nnblocksPlayground.frame?.biases.at(-1)[0] === -3")
    tab.wait_for_canvas_change("#output-heatmap", middle)


def test_export_downloads_runnable_code(open_page, tmp_path):
    tab = open_page("?dataset=gauss&hidden=2&features=x1,x2&seed=5")
    page = tab.page
    with page.expect_download() as python_download:
        page.locator('[data-export="python"]').click()
    script = tmp_path / python_download.value.suggested_filename
    python_download.value.save_as(script)
    assert script.suffix == ".py"
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr[-2000:]

    with page.expect_download() as model_download:
        page.locator('[data-export="model"]').click()
    archive = tmp_path / model_download.value.suggested_filename
    model_download.value.save_as(archive)
    names = zipfile.ZipFile(io.BytesIO(archive.read_bytes())).namelist()
    assert any(name.endswith("model.json") for name in names), names
    assert any(name.endswith("model.safetensors") for name in names), names

    with page.expect_download() as torch_download:
        page.locator('[data-export="torch"]').click()
    torch_script = tmp_path / ("torch-" + torch_download.value.suggested_filename)
    torch_download.value.save_as(torch_script)
    compile(torch_script.read_text(), str(torch_script), "exec")   # valid Python; running it needs torch
    assert "torch" in torch_script.read_text()


def use_people_with_age(tab, folder: Path) -> None:
    """Upload height, weight and age (→ kind): the map is the height-weight plane, age is held."""
    page = tab.page
    choose_csv(page, people_csv(folder, age=True))
    page.locator('#csv-features input[value="age"]').check()
    page.locator("#csv-use").click()
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'csv'"
             " && window.nnblocksPlayground.data?.slice?.length === 1")
    tab.wait("() => window.nnblocksPlayground.frame?.epoch === 0")


def test_the_slice_sliders_move_the_plane_through_a_third_column(open_page, tmp_path):
    tab = open_page(QUICK)
    page = tab.page
    block, slider = page.locator("#slice"), page.locator("#slice-0")
    assert not block.is_visible()                                       # a built-in set has no other columns
    use_people_with_age(tab, tmp_path)
    assert block.is_visible()
    assert "held at" in page.locator("#slice-heading").inner_text()
    assert "plane where the other features take these values" in block.inner_text()
    control = tab.js("() => window.nnblocksPlayground.data.slice[0]")
    assert control["name"] == "age" and control["held"] is False and control["value"] == control["mean"]
    label = page.locator("label[for=slice-0]")
    assert label.inner_text() == f"age: {control['mean']:.6g} (the training mean)"
    assert float(slider.input_value()) == pytest.approx(control["mean"], abs=0.1)
    assert float(slider.get_attribute("min")) == control["low"]
    assert float(slider.get_attribute("max")) == control["high"]
    assert page.locator(".slice-mean").is_disabled()                    # nothing to undo yet
    before = tab.frame()["output"]                                      # the Float32Array, as a list of numbers

    slider.focus()                                                      # the keyboard, as a learner would
    slider.press("End")
    tab.wait("() => window.nnblocksPlayground.data.slice[0].held === true")
    tab.wait("(high) => window.nnblocksPlayground.data.slice[0].value === high", control["high"])
    tab.wait(f"(before) => !({SAME_OUTPUT})(before)", before)
    slider.press("ArrowLeft")                                           # one step (0.1 years) down
    tab.wait("(high) => window.nnblocksPlayground.data.slice[0].value < high", control["high"])
    moved = tab.js("() => window.nnblocksPlayground.data.slice[0].value")
    assert moved == pytest.approx(control["high"] - 0.1)
    assert label.inner_text() == f"age: {moved:g}"                      # the value exactly, no longer the mean
    assert tab.frame()["epoch"] == 0                                    # the weights stay: only the plane moved
    tab.shot("08-slice-moved.png")

    page.locator(".slice-mean").click()                                 # back to the training mean
    tab.wait("() => window.nnblocksPlayground.data.slice[0].held === false")
    tab.wait(SAME_OUTPUT, before)                                       # the same map, number for number
    assert label.inner_text().endswith("(the training mean)")
    assert page.locator(".slice-mean").is_disabled()

    page.locator('.dataset[data-dataset="xor"]').click()                # a built-in set again: no slice
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'xor'")
    tab.wait("() => window.nnblocksPlayground.data?.slice?.length === 0")
    assert not block.is_visible()


def test_dragging_a_slice_slider_is_throttled_and_ends_on_the_last_value(open_page, tmp_path):
    tab = open_page(QUICK)
    page = tab.page
    use_people_with_age(tab, tmp_path)
    tab.js("""() => {
        window.sentSlices = [];
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (text) {
            const message = JSON.parse(text);
            if (message.type === 'slice') window.sentSlices.push({values: message.values, at: performance.now()});
            return send.call(this, text);
        };
    }""")
    box = page.locator("#slice-0").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()
    for step in range(1, 31):
        page.mouse.move(box["x"] + 4 + step * (box["width"] - 8) / 30, y)
        page.wait_for_timeout(5)
    page.mouse.up()
    high = tab.js("() => window.nnblocksPlayground.data.slice[0].high")
    tab.wait("(high) => window.nnblocksPlayground.data.slice[0].value === high", high)
    sent = tab.js("() => window.sentSlices")
    assert 1 <= len(sent) < 30, sent                                   # not one message per move
    # While dragging, one message per 100 ms at most; letting go sends the last value at once.
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(sent[:-1], sent[1:-1])]
    assert all(gap >= 95 for gap in gaps), gaps
    assert sent[-1]["values"] == [high]


def test_metrics_are_grouped_per_metric_with_explanations(open_page):
    tab = open_page(QUICK)                                              # two classes
    page = tab.page
    lines = page.locator("#metrics .metric")
    assert [text.split(":")[0] for text in lines.all_inner_texts()] == ["Accuracy", "ROC AUC"]
    metrics = tab.frame()["metrics"]
    assert lines.nth(0).inner_text() == \
        f"Accuracy: test {metrics['test_accuracy']:.3f} · train {metrics['train_accuracy']:.3f}"
    assert "random positive point scores above a random negative one" in lines.nth(1).get_attribute("title")
    tab.shot("09-metrics-classification.png")

    page.locator('.dataset[data-dataset="plane"]').click()             # regression
    tab.wait("() => window.nnblocksPlayground.state?.problem === 'regression'"
             " && 'test_r2' in (window.nnblocksPlayground.frame?.metrics ?? {})")
    tab.wait("() => document.querySelectorAll('#metrics .metric').length === 3")
    assert [text.split(":")[0] for text in lines.all_inner_texts()] == ["MAE", "RMSE", "R²"]
    assert "0 is no better than predicting the mean" in lines.nth(2).get_attribute("title")
    tab.shot("10-metrics-regression.png")

    page.locator('.dataset[data-dataset="spiral_classes"]').click()    # several classes: accuracy only
    tab.wait("() => window.nnblocksPlayground.state?.dataset === 'spiral_classes'"
             " && document.querySelectorAll('#metrics .metric').length === 1")
    assert lines.nth(0).inner_text().startswith("Accuracy: test ")
