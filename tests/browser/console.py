"""Drives the supervisor console in headless Chromium as a person would.

Called by tests/console.rs with: BASE_URL SUPERVISOR STAFF PASSWORD SHOTS_DIR
MIC_WAV (what the supervisor's fake microphone says).
Talks with the test over stdin/stdout: prints `ready` once signed in (the
test then places a call), `expire` when the test should end the session
(it answers `go`), and finally one JSON line `result {...}` with what it saw.
"""

import base64
import json
import struct
import sys
import time
import wave

from playwright.sync_api import sync_playwright, expect

BASE, SUPERVISOR, STAFF, PASSWORD, SHOTS, MIC_WAV = sys.argv[1:7]
ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    f"--use-file-for-fake-audio-capture={MIC_WAV}",
]

# Records what the page's <audio id=listen-audio> plays: 16 kHz samples and,
# per 16 ms block, its wall-clock time and level.
CAPTURE_START = """() => {
  const a = document.getElementById('listen-audio');
  const ctx = new AudioContext({sampleRate: 16000});
  const src = ctx.createMediaStreamSource(a.srcObject);
  const proc = ctx.createScriptProcessor(256, 1, 1);
  const cap = {pcm: [], blocks: [], ctx, proc, src};
  proc.onaudioprocess = (e) => {
    const d = e.inputBuffer.getChannelData(0);
    let s = 0;
    for (const v of d) s += v * v;
    cap.blocks.push([performance.timeOrigin + performance.now(), Math.sqrt(s / d.length)]);
    for (const v of d) cap.pcm.push(Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  };
  src.connect(proc);
  proc.connect(ctx.destination);
  window.__capture = cap;
}"""
OPEN_LEGS = """async (n) => {
  window.__legs = [];
  for (let i = 0; i < n; i++) {
    const c = new RTCPeerConnection();
    c.addTransceiver('audio', {direction: 'recvonly'});
    await c.setLocalDescription(await c.createOffer());
    await new Promise((done) => {
      if (c.iceGatheringState === 'complete') return done();
      c.onicegatheringstatechange = () => { if (c.iceGatheringState === 'complete') done(); };
      setTimeout(done, 2000);
    });
    const r = await fetch(`/api/calls/${encodeURIComponent(selected)}/listen`, {
      method: 'POST',
      headers: {'X-CSRF-Token': me.csrf, 'Content-Type': 'application/json'},
      body: JSON.stringify(c.localDescription),
    });
    await c.setRemoteDescription(await r.json());
    window.__legs.push(c);
  }
  await new Promise((done) => setTimeout(done, 3000));
  return window.__legs.filter((c) => c.connectionState === 'connected').length;
}"""
CAPTURE_STOP = """() => {
  const cap = window.__capture;
  cap.src.disconnect(); cap.proc.disconnect(); cap.ctx.close();
  const bytes = new Uint8Array(new Int16Array(cap.pcm).buffer);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return {pcm: btoa(bin), blocks: cap.blocks};
}"""
result = {"steps": []}
shot_n = 0


def say(line):
    print(line, flush=True)


def step(page, name):
    global shot_n
    shot_n += 1
    path = f"{SHOTS}/{shot_n:02d}-{name}.png"
    page.screenshot(path=path, full_page=True)
    result["steps"].append({"step": name, "screenshot": path})


def sign_in(page, user, password):
    page.goto(f"{BASE}/console")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#signin button[type=submit]")


def lines(page, kind):
    return page.locator(f"#transcript li.{kind}").all_inner_texts()


def wait_line(page, kind, contains=None, timeout=30_000):
    sel = f"#transcript li.{kind}"
    if contains:
        page.locator(sel, has_text=contains).first.wait_for(timeout=timeout)
    else:
        page.locator(sel).first.wait_for(timeout=timeout)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(30_000)

    # A wrong password is refused with a message, and no session is made.
    sign_in(page, SUPERVISOR, "not-the-password")
    expect(page.locator("#signin-error")).to_contain_text("wrong username or password")
    result["wrong_password_message"] = page.inner_text("#signin-error")
    step(page, "wrong-password")

    sign_in(page, SUPERVISOR, PASSWORD)
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#who-role")).to_have_text("supervisor")
    expect(page.locator("#feed-state")).to_have_text("live")
    step(page, "signed-in")
    say("ready")

    # A call appears, live.
    row = page.locator("#calls tr.call").first
    row.wait_for(timeout=60_000)
    result["row_text"] = row.inner_text()
    row.click()
    # Listen: WebRTC from the server, the call's audio heard in the page.
    page.click("#listen")
    expect(page.locator("#listen-state")).to_have_text("listening", timeout=20_000)
    page.wait_for_function("document.getElementById('listen-audio').srcObject !== null")
    page.evaluate(CAPTURE_START)
    wait_line(page, "caller", timeout=60_000)
    result["caller_lines"] = lines(page, "caller")
    step(page, "call-open")
    time.sleep(1.0)
    cap = page.evaluate(CAPTURE_STOP)
    pcm = base64.b64decode(cap["pcm"])
    with wave.open(f"{SHOTS}/listened.wav", "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm)
    result["listen_wav"] = f"{SHOTS}/listened.wav"
    result["listen_blocks"] = cap["blocks"]
    result["listen_seconds"] = len(pcm) / 2 / 16000

    # Take over: the bot goes silent; speak to the caller.
    page.click("#takeover")
    expect(page.locator("#call-badges")).to_contain_text("you have the call", timeout=15_000)
    page.fill("#speak-text", "This is Ana, a supervisor. I have joined your call.")
    page.click("#speak-form button[type=submit]")
    wait_line(page, "supervisor", "I have joined your call")
    step(page, "taken-over")

    # The server's cost of listeners: 8 more listening legs on this call
    # (the call is quiet: taken over, nobody talking); the test measures
    # its CPU with them, then without.
    result["extra_legs_connected"] = page.evaluate(OPEN_LEGS, 8)
    say("legs-on")
    assert sys.stdin.readline().strip() == "go"
    page.evaluate("() => { for (const c of window.__legs) c.close(); }")
    time.sleep(1.0)
    say("legs-off")
    assert sys.stdin.readline().strip() == "go"

    # Hand back: the bot speaks again.
    page.click("#handback")
    wait_line(page, "bot", "I'm back with you")
    result["bot_lines_after_handback"] = lines(page, "bot")
    step(page, "handed-back")

    # Barge in: the microphone reaches the caller; then stop.
    page.click("#barge")
    expect(page.locator("#listen-state")).to_have_text("barging in", timeout=20_000)
    page.locator("#transcript li.event", has_text="barge in").wait_for()
    time.sleep(7.0)
    step(page, "barging")
    bot_lines_before = len(lines(page, "bot"))
    page.click("#barge")
    page.locator("#transcript li.event", has_text="barge ended").wait_for(timeout=30_000)
    result["bot_lines_during_barge"] = len(lines(page, "bot")) - bot_lines_before

    # Whisper guidance the bot cannot act on: the console says so.
    page.fill("#guide-text", "be nicer")
    page.click("#guide-form button[type=submit]")
    expect(page.locator("#control-msg")).to_contain_text("the bot can act on")
    result["unusable_guidance_message"] = page.inner_text("#control-msg")

    # Guidance: transfer now. The bot says so and the call goes to staff.
    page.fill("#guide-text", "transfer now")
    page.click("#guide-form button[type=submit]")
    wait_line(page, "guidance", "transfer now")
    wait_line(page, "bot", "connect you with a member of our team")
    page.locator("#transcript li.event", has_text="call ended").wait_for(timeout=60_000)
    result["transcript"] = page.locator("#transcript li").all_inner_texts()
    step(page, "transferred")

    # Past calls and the queue render.
    page.reload()
    expect(page.locator("#console-view")).to_be_visible()
    page.locator("#past tr.call").first.wait_for(timeout=30_000)
    page.locator("#past tr.call").first.click()
    page.locator("#past-lines li").first.wait_for()
    result["past_lines"] = page.locator("#past-lines li").all_inner_texts()
    expect(page.locator("#past-audio")).to_be_visible()
    rec = page.evaluate(
        "fetch(document.getElementById('past-audio').src).then(async r => "
        "[r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength])"
    )
    result["past_recording"] = rec[:2]
    result["past_recording_bytes"] = rec[2]
    step(page, "past-call")

    # Sign out: the console is gone and the API refuses the old cookie.
    page.click("#signout")
    expect(page.locator("#signin-view")).to_be_visible()
    status = page.evaluate("fetch('/api/me').then(r => r.status)")
    result["me_after_signout"] = status
    step(page, "signed-out")

    # A staff user sees calls but may not act on them.
    sign_in(page, STAFF, PASSWORD)
    expect(page.locator("#who-role")).to_have_text("staff")
    result["staff_controls_hidden"] = page.locator("#controls").is_hidden()
    csrf = page.evaluate("fetch('/api/me').then(r => r.json()).then(j => j.csrf)")
    result["staff_barge_status"] = page.evaluate(
        "(csrf) => fetch('/api/calls/CAanything/barge', {method: 'POST', headers: {'X-CSRF-Token': csrf}, body: '{}'}).then(r => r.status)",
        csrf,
    )
    result["no_csrf_status"] = page.evaluate(
        "fetch('/api/tasks/1/close', {method: 'POST'}).then(r => r.status)"
    )
    step(page, "staff")

    # An expired session: the page returns to sign-in and says why.
    say("expire")
    assert sys.stdin.readline().strip() == "go"
    page.locator("#signin-view").wait_for(state="visible", timeout=30_000)
    result["expired_message"] = page.inner_text("#signin-error")
    step(page, "expired")

    browser.close()

say("result " + json.dumps(result))
