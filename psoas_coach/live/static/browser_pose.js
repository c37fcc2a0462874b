// Psoas Coach live page: BlazePose in the athlete's browser (MediaPipe's @mediapipe/pose, served
// by the project's own server from data-pose-base; nothing from other origins), the choice
// between pose in the browser and pose on the server (?pose=browser|server|auto), and a replay
// of a <video> file frame by frame (scripts/browser_agreement.py). Used by live.js.
"use strict";

window.PsoasBrowserPose = (() => {
  const MODES = ["browser", "server", "auto"];
  // Same graph settings as the server's MediaPipeBackend (full model, tracking, smoothing).
  const OPTIONS = { modelComplexity: 1, smoothLandmarks: true, enableSegmentation: false,
    minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, selfieMode: false };
  const LOAD_TIMEOUT_S = 90;   // software WebGL takes ~7 s here; a phone's GPU far less
  const MEASURE_S = 3;         // auto: seconds of pose results timed after the first one
  const MIN_RATE_HZ = 8;       // auto: poses per second below which the server runs pose

  /** The mode asked for in the page's address (?pose=...), "auto" when absent or unknown. */
  function requestedMode(search) {
    const asked = new URLSearchParams(search).get("pose");
    return MODES.includes(asked) ? asked : "auto";
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`${src} could not be loaded`));
      document.head.appendChild(tag);
    });
  }

  function withTimeout(promise, seconds, what) {
    let timer = null;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${seconds} s`)), seconds * 1000);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  /** Now on the page's clock, seconds (what a live frame's time_s is). */
  function nowS() { return performance.now() / 1000; }

  /**
   * A started estimator: estimate(image, time_s) -> [[x, y, z, visibility] x 33] (normalized)
   * or null. time_s (seconds, increasing) is the frame's time, given to the graph as the server
   * gives its frames' times: the landmark smoothing works on these times, so a replay slower
   * than real time is smoothed as the video's own frames are (left out, the graph would take
   * the moment of the call).
   */
  async function load(base) {
    if (!window.Pose) await loadScript(`${base}pose.js`);
    const pose = new window.Pose({ locateFile: (file) => `${base}${file}` });
    pose.setOptions(OPTIONS);
    let latest = null;
    pose.onResults((results) => { latest = results.poseLandmarks || null; });
    await pose.initialize();
    return {
      async estimate(image, time_s) {
        latest = null;
        await pose.send({ image }, time_s * 1000);  // the graph's clock is in milliseconds
        return latest ? latest.map((p) => [p.x, p.y, p.z, p.visibility ?? 0]) : null;
      },
      close() { pose.close(); },
    };
  }

  /** Poses per second of `estimator` on `video` over `seconds` after a first (warm-up) result. */
  async function measureRate(estimator, video, seconds) {
    await estimator.estimate(video, nowS());
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < seconds * 1000) {
      await estimator.estimate(video, nowS());
      n += 1;
    }
    return n / ((performance.now() - start) / 1000);
  }

  /**
   * Where pose runs for this page: {mode: "browser"|"server", estimator, rate, reason}.
   * `mode` is the asked one; "auto" measures this device and falls back to the server below
   * MIN_RATE_HZ; a model that cannot load falls back to the server whatever was asked.
   */
  async function choose(mode, base, video, onStatus) {
    if (mode === "server") return { mode: "server", estimator: null, rate: null, reason: "as asked in the address" };
    onStatus("loading the pose model in this browser…");
    let estimator = null;
    try {
      estimator = await withTimeout(load(base), LOAD_TIMEOUT_S, "loading the pose model");
      if (mode === "browser") {
        await withTimeout(estimator.estimate(video, nowS()), LOAD_TIMEOUT_S, "the first pose");
        return { mode: "browser", estimator, rate: null, reason: "as asked in the address" };
      }
      onStatus("measuring this device's pose rate…");
      const rate = await withTimeout(measureRate(estimator, video, MEASURE_S),
        LOAD_TIMEOUT_S, "measuring the pose rate");
      if (rate >= MIN_RATE_HZ) return { mode: "browser", estimator, rate, reason: "fast enough" };
      estimator.close();
      return { mode: "server", estimator: null, rate,
        reason: `this device runs ${rate.toFixed(1)} poses/s, under ${MIN_RATE_HZ}/s` };
    } catch (err) {
      if (estimator) estimator.close();
      return { mode: "server", estimator: null, rate: null,
        reason: `pose in this browser failed: ${err.message}` };
    }
  }

  /** The page's one-line description of the chosen mode. */
  function describe(choice) {
    const rate = choice.rate === null ? "" : ` (${choice.rate.toFixed(1)} poses/s measured)`;
    if (choice.mode === "browser") return `Pose runs in this browser: only keypoints are sent${rate}`;
    return `Pose runs on the server: pictures are sent (${choice.reason})`;
  }

  function seek(video, time_s) {
    return new Promise((resolve) => {
      video.addEventListener("seeked", resolve, { once: true });
      video.currentTime = time_s;
    });
  }

  /**
   * Every `step`-th frame of `video` (frame rate `fps`) before `endS` seconds, in order, at the
   * pace pose allows: onPose({frame, time_s, width, height, landmarks}) with the frame's index
   * and media time; resolves with the count.
   */
  async function replay(estimator, video, fps, step, onPose, endS = Infinity) {
    const frames = Math.floor(Math.min(video.duration, endS) * fps + 1e-6);
    let n = 0;
    for (let k = 0; k < frames; k += step) {
      const time_s = k / fps;
      await seek(video, time_s + 0.5 / fps);  // mid-frame: the frame shown from k / fps
      const landmarks = await estimator.estimate(video, time_s);
      onPose({ frame: k, time_s, width: video.videoWidth, height: video.videoHeight, landmarks });
      n += 1;
    }
    return n;
  }

  return { requestedMode, load, choose, describe, replay, MIN_RATE_HZ };
})();
