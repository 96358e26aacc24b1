// The call itself: camera and microphone (getUserMedia), each other participant's video, mute and
// camera toggles and hang up. Media flows between the browsers; the node relays signaling only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type CallState, ConsultCall, type JoinGrant, type RemoteParty } from './telehealth-call-client.js';

const ROLE_NAMES: Record<string, string> = {
  patient: 'Patient',
  provider: 'Provider',
  specialist: 'Specialist',
  'second-opinion': 'Second opinion',
  observer: 'Observer',
};

function roleName(role: string): string {
  return ROLE_NAMES[role] ?? 'Participant';
}

function StreamVideo({ stream, label, muted, className }: { stream: MediaStream | null; label: string; muted: boolean; className: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video || video.srcObject === stream) return;
    video.srcObject = stream;
    // An active capture lets the page play media with sound; if the browser still refuses, the
    // user's next click on the page starts it (the controls below are all clicks).
    if (stream) void video.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} class={className} autoPlay playsInline muted={muted} aria-label={label} />;
}

function describeDevicesError(error: Error): string {
  if (error.name === 'NotAllowedError') return 'The browser was not allowed to use the camera and microphone: allow them for this page (the icon in the address bar) and join again.';
  if (error.name === 'NotFoundError') return 'No camera or microphone was found: connect one and join again.';
  if (error.name === 'NotReadableError') return 'The camera or microphone is in use by another program: close it and join again.';
  return `The camera and microphone could not be opened (${error.message}): check them and join again.`;
}

export function ConsultCallPanel({ grant, onLeft, onConnected }: { grant: JoinGrant; onLeft: (because: string | null) => void; onConnected?: () => void }) {
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [state, setState] = useState<CallState>({ phase: 'connecting', remotes: [], endedBecause: null });
  const [error, setError] = useState<string | null>(null);
  const [micOn, setMicOn] = useState(true);
  const [cameraOn, setCameraOn] = useState(true);
  const call = useRef<ConsultCall | null>(null);
  const reported = useRef(false);

  useEffect(() => {
    let cancelled = false;
    const media = grant.permissions.publish ? navigator.mediaDevices.getUserMedia({ audio: true, video: true }) : Promise.resolve(null);
    media.then(
      (stream) => {
        if (cancelled) return stream?.getTracks().forEach((track) => track.stop());
        setLocal(stream);
        call.current = new ConsultCall(grant, stream, setState);
        call.current.start();
      },
      (e: Error) => setError(describeDevicesError(e)),
    );
    return () => {
      cancelled = true;
      call.current?.hangUp();
    };
  }, [grant]);

  useEffect(() => {
    if (!reported.current && state.remotes.some((remote) => remote.connection === 'connected')) {
      reported.current = true;
      onConnected?.();
    }
    if (state.phase === 'ended') onLeft(state.endedBecause);
  }, [state]);

  const toggle = (kind: 'audio' | 'video', on: boolean) => {
    local?.getTracks().filter((track) => track.kind === kind).forEach((track) => (track.enabled = on));
    (kind === 'audio' ? setMicOn : setCameraOn)(on);
  };

  const connected = state.remotes.filter((remote) => remote.stream);
  return (
    <div class="card call" aria-labelledby="call-title">
      <h2 id="call-title">Consult call</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p class="live" role="status">
        {state.phase === 'connecting' ? 'Connecting to the consult…' : connected.length === 0 ? 'Waiting for the other party to join the call…' : callSummary(state.remotes)}
      </p>
      <div class="call-grid">
        {state.remotes.map((remote) => (
          <figure class="call-tile" key={remote.participantId}>
            <StreamVideo stream={remote.stream} label={`Video of the ${roleName(remote.role).toLowerCase()}`} muted={false} className="remote-video" />
            <figcaption>
              {roleName(remote.role)} · {connectionName(remote)}
            </figcaption>
          </figure>
        ))}
        {local && (
          <figure class="call-tile self">
            <StreamVideo stream={local} label="Your own camera" muted={true} className="local-video" />
            <figcaption>You{cameraOn ? '' : ' (camera off)'}{micOn ? '' : ' (muted)'}</figcaption>
          </figure>
        )}
      </div>
      <div class="call-controls">
        {local && (
          <>
            <button type="button" aria-pressed={!micOn} onClick={() => toggle('audio', !micOn)}>
              {micOn ? 'Mute microphone' : 'Unmute microphone'}
            </button>
            <button type="button" aria-pressed={!cameraOn} onClick={() => toggle('video', !cameraOn)}>
              {cameraOn ? 'Turn camera off' : 'Turn camera on'}
            </button>
          </>
        )}
        <button type="button" class="danger" onClick={() => (call.current ? call.current.hangUp() : onLeft(null))}>
          Hang up
        </button>
      </div>
    </div>
  );
}

function connectionName(remote: RemoteParty): string {
  if (remote.connection === 'connected') return 'connected';
  if (remote.connection === 'failed') return 'media could not connect (a TURN server may be needed)';
  if (remote.connection === 'disconnected') return 'connection interrupted, retrying';
  return 'connecting';
}

function callSummary(remotes: RemoteParty[]): string {
  return `In the call with ${remotes.map((remote) => roleName(remote.role).toLowerCase()).join(', ')}.`;
}
