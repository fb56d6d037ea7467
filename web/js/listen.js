// Live listening (/listen): authenticate with a text frame, then binary frames of a 24-byte
// little-endian header and one Opus packet (or PCM). Opus goes through WebCodecs'
// AudioDecoder; decoded audio goes to the AudioWorklet's playout buffer. The listener
// reports what it plays, how deep its buffer is and the latency to the ear, and tells
// the position actually heard for notes.

import { Connection } from './connection.js';

export const HEADER_BYTES = 24;
export const CODEC_OPUS = 1;
export const CODEC_PCM16 = 2;
export const COMPARE_NAMES = ['chain', 'bypass', 'A', 'B', 'reference'];
const STREAM_RATE = 48000;

/** Parses a packet's header; null when it is too short or of an unknown version. */
export function parseHeader(buffer) {
  if (buffer.byteLength < HEADER_BYTES) return null;
  const v = new DataView(buffer);
  if (v.getUint8(0) !== 1) return null;
  return {
    codec: v.getUint8(1),
    compare: v.getUint8(2),
    playing: (v.getUint8(3) & 1) !== 0,
    sequence: v.getUint32(4, true),
    trackTime: Number(v.getBigUint64(8, true)),
    frames: v.getUint16(16, true),
    track: v.getUint16(18, true),
  };
}

/** Whether this page can listen: WebCodecs and AudioWorklet need a secure context. */
export function listeningSupported() {
  return typeof AudioWorkletNode !== 'undefined' && typeof AudioDecoder !== 'undefined' && window.isSecureContext;
}

export class Listener extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.ctx = null;
    this.node = null;
    this.gain = null;
    this.ws = null;
    this.decoder = null;
    this.meta = new Map();  // decoder timestamp (µs) → header of that packet
    this.status = null;
    this.info = null;
    this.lastSequence = null;
    this.lost = 0;
    this.packets = 0;
    this.volume = 1;
    this.codec = 'opus';  // or 'pcm': lossless, for a LAN
    this.stopped = true;
    this.tap = null;  // (left, right) for every decoded chunk: the console's spectrum
  }

  /** Receives and decodes the stream without playing it (the console's spectrum). */
  startAnalysis(tap) {
    this.tap = tap;
    this.stopped = false;
    if (!this.ws) this.connect();
  }

  /** Starts the audio graph (call from a user gesture) and the stream. */
  async start() {
    this.stopped = false;
    if (!this.ctx) {
      this.ctx = new AudioContext({ sampleRate: STREAM_RATE, latencyHint: 'interactive' });
      await this.ctx.audioWorklet.addModule(new URL('./listen_worklet.js', import.meta.url));
      this.node = new AudioWorkletNode(this.ctx, 'lacquer-listen', { numberOfInputs: 0, outputChannelCount: [2] });
      this.gain = new GainNode(this.ctx, { gain: this.volume });
      this.node.connect(this.gain).connect(this.ctx.destination);
      this.node.port.onmessage = (e) => this.onStatus(e.data);
    }
    await this.ctx.resume();
    if (!this.ws) this.connect();
  }

  stop() {
    this.stopped = !this.tap;
    if (this.stopped && this.ws) {
      this.ws.close();
      this.ws = null;
    }
    if (this.ctx) this.ctx.suspend();
    this.emit('state', { state: 'stopped' });
  }

  /** Switches between Opus and lossless PCM; reconnects when streaming. */
  setCodec(codec) {
    this.codec = codec;
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.close();
      this.connect();
    }
  }

  setVolume(v) {
    this.volume = v;
    if (this.gain) this.gain.gain.setTargetAtTime(v, this.ctx.currentTime, 0.02);
  }

  connect() {
    const ws = new WebSocket(Connection.url('/listen'));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.emit('state', { state: 'connecting' });
    ws.onopen = () => ws.send(JSON.stringify({ op: 'auth', token: this.token, codec: this.codec }));
    ws.onmessage = (e) => (typeof e.data === 'string' ? this.onText(e.data) : this.onPacket(e.data));
    ws.onclose = () => {
      if (ws !== this.ws || this.stopped) return;
      this.emit('state', { state: 'reconnecting' });
      setTimeout(() => !this.stopped && this.connect(), 1000);
    };
  }

  onText(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.op === 'auth' && msg.ok) {
      this.info = msg;
      this.setupDecoder(msg);
      this.emit('state', { state: 'live', info: msg });
    } else if (msg.op === 'error') {
      this.stopped = true;
      this.emit('state', { state: 'error', message: msg.message || msg.code });
    }
  }

  setupDecoder(info) {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    if (info.codec !== 'opus') return;
    this.decoder = new AudioDecoder({
      output: (data) => this.onDecoded(data),
      error: (err) => this.emit('state', { state: 'error', message: `decoder: ${err.message}` }),
    });
    this.decoder.configure({ codec: 'opus', sampleRate: info.sample_rate || STREAM_RATE, numberOfChannels: info.channels || 2 });
  }

  onPacket(buffer) {
    const h = parseHeader(buffer);
    if (!h) return;
    this.packets += 1;
    if (this.lastSequence !== null && h.sequence !== ((this.lastSequence + 1) >>> 0)) {
      this.lost += Math.max(0, (h.sequence - this.lastSequence - 1) >>> 0);
    }
    this.lastSequence = h.sequence;
    h.arrivalS = performance.now() / 1000;
    this.lastHeader = h;
    const payload = new Uint8Array(buffer, HEADER_BYTES);
    if (h.codec === CODEC_PCM16) {
      const frames = Math.floor(payload.byteLength / 4);
      const pcm = new Int16Array(buffer.slice(HEADER_BYTES, HEADER_BYTES + frames * 4));
      const left = new Float32Array(frames), right = new Float32Array(frames);
      for (let i = 0; i < frames; ++i) {
        left[i] = pcm[2 * i] / 32768;
        right[i] = pcm[2 * i + 1] / 32768;
      }
      this.toWorklet(left, right, h);
      return;
    }
    if (h.codec !== CODEC_OPUS || !this.decoder || this.decoder.state !== 'configured') return;
    // The decoder's timestamps key each output back to its packet's header.
    const timestamp = h.sequence * 20000;
    this.meta.set(timestamp, h);
    if (this.meta.size > 64) this.meta.delete(this.meta.keys().next().value);
    this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: payload }));
  }

  onDecoded(data) {
    const h = this.meta.get(data.timestamp);
    this.meta.delete(data.timestamp);
    const frames = data.numberOfFrames;
    const left = new Float32Array(frames), right = new Float32Array(frames);
    data.copyTo(left, { planeIndex: 0, format: 'f32-planar' });
    data.copyTo(right, { planeIndex: data.numberOfChannels > 1 ? 1 : 0, format: 'f32-planar' });
    data.close();
    if (h) this.toWorklet(left, right, h);
  }

  toWorklet(left, right, h) {
    if (this.tap) this.tap(left, right);
    if (!this.node || this.ctx.state !== 'running') return;
    this.node.port.postMessage({
      type: 'chunk', left, right, arrivalS: h.arrivalS,
      trackTime: h.trackTime, compare: h.compare, track: h.track,
    }, [left.buffer, right.buffer]);
  }

  onStatus(s) {
    this.status = { ...s, receivedAt: this.ctx.currentTime };
    this.emit('status', this.report());
  }

  /** Seconds between the worklet reading a frame and the listener hearing it. */
  outputLatencyS() {
    if (!this.ctx) return 0;
    return (this.ctx.baseLatency || 0) + (this.ctx.outputLatency || 0);
  }

  /** What the listener hears now: {trackTimeS, track, compare} or null before audio. */
  heard() {
    const s = this.status;
    if (!s || !s.head || !this.ctx) return null;
    const sinceS = s.playing ? Math.max(0, this.ctx.currentTime - s.contextTime) : 0;
    const t = s.head.trackTime / STREAM_RATE + sinceS - this.outputLatencyS();
    return { trackTimeS: Math.max(0, t), track: s.head.track, compare: COMPARE_NAMES[s.head.compare] || 'chain' };
  }

  /** The figures shown to the listener and printed by the tests. */
  report() {
    const s = this.status || {};
    const bufferS = (s.bufferedFrames || 0) / STREAM_RATE;
    const outputS = this.outputLatencyS();
    return {
      live: Boolean(s.playing),
      codec: this.info ? this.info.codec : null,
      lossless: this.info ? this.info.codec !== 'opus' : null,
      bufferMs: 1000 * bufferS,
      targetMs: 1000 * (s.targetFrames || 0) / STREAM_RATE,
      jitterMs: 1000 * (s.jitterS || 0),
      outputLatencyMs: 1000 * outputS,
      // From a decoded frame entering the buffer to the ear: the buffer, then the output.
      latencyMs: 1000 * (bufferS + outputS),
      rms: s.rms || 0,
      lost: this.lost,
      packets: this.packets,
      stats: s.stats || {},
      heard: this.heard(),
    };
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
