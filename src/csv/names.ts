/**
 * What a header name says: tokens in many conventions (snake_case, camelCase, "Title Case",
 * kebab-case, "# " prefixes) and a few languages, read into role hints and a start/end group, so that
 * pickup_ goes with pickup_ and start_ with start_.
 */
export type NameRole = 'latitude' | 'longitude' | 'timestamp' | 'entity' | 'altitude' | 'shared' | 'event' | 'angle' | 'projected';

export interface NameInfo {
  raw: string;
  tokens: string[];
  roles: Set<NameRole>;
  /** 'start', 'end' or '' when the name says neither. */
  group: '' | 'start' | 'end';
}

const LAT = new Set(['lat', 'latitude', 'latitud', 'latitudine', 'breitengrad', 'breite', 'latitude_wgs84', 'ycoord']);
const LON = new Set(['lon', 'lng', 'long', 'longitude', 'longitud', 'longitudine', 'laengengrad', 'längengrad', 'lange', 'länge', 'xcoord']);
const TIME = new Set(['time', 'timestamp', 'datetime', 'date', 'ts', 'epoch', 'zeitstempel', 'zeit', 'datum', 'data', 'fecha', 'hora', 'heure', 'horodatage', 'unix', 'utc', 'starttime', 'stoptime', 'basedatetime', 'tns', 'tms', 'timestampms', 'time_ms', 'at', 'recorded', 'gpstime', 'fixtime', 'instant']);
const ENTITY = new Set([
  'id', 'uid', 'uuid', 'guid', 'device', 'deviceid', 'vehicle', 'vehicleid', 'taxi', 'taxiid', 'car', 'bus', 'ship', 'vessel', 'boat', 'mmsi', 'icao24', 'icao', 'hex',
  'plate', 'kennzeichen', 'fahrzeug', 'ordem', 'user', 'userid', 'person', 'individual', 'animal', 'bird', 'tag', 'trackid', 'object', 'entity', 'entityid',
  'imei', 'serial', 'unit', 'asset', 'bike', 'bikeid', 'driver', 'tail', 'registration', 'veiculo', 'vehiculo', 'matricula', 'agent', 'tracker', 'collar',
]);
const SHARED = new Set(['line', 'route', 'linha', 'linea', 'ligne', 'vendor', 'base', 'company', 'operator', 'type', 'status', 'station', 'stop', 'pattern', 'category', 'class', 'mode', 'provider', 'payment', 'flag', 'call', 'taxon', 'sensor', 'study', 'source', 'census', 'tract', 'area', 'community', 'destination', 'cargo', 'rate', 'rateCode', 'zone', 'block']);
const EVENT = new Set(['event', 'trip', 'ride', 'journey', 'record', 'row', 'index', 'idx', 'seq', 'message', 'msg', 'checkin', 'fix', 'point', 'observation', 'venue', 'location', 'stopid']);
const ALT = new Set(['alt', 'altitude', 'elevation', 'ele', 'height', 'z', 'hoehe', 'höhe', 'altura', 'baroaltitude', 'geoaltitude', 'altbaro', 'altgeom']);
const ANGLE = new Set(['heading', 'direction', 'course', 'cog', 'bearing', 'track', 'rot', 'azimuth', 'angle', 'yaw', 'hdg', 'richtung', 'kurs', 'rumbo', 'sog', 'speed', 'velocity', 'vertrate', 'gs', 'geschwindigkeit', 'velocidade', 'accuracy', 'hdop', 'vdop', 'pdop', 'delay', 'distance', 'fare']);
const PROJECTED = new Set(['easting', 'northing', 'east', 'north', 'utm', 'x', 'y', 'rechtswert', 'hochwert']);
const START = new Set(['pickup', 'start', 'started', 'begin', 'origin', 'from', 'departure', 'src', 'orig', 'o']);
const END = new Set(['dropoff', 'end', 'ended', 'stop', 'dest', 'to', 'arrival', 'finish', 'd', 'ended_at']);

export function tokenize(name: string): string[] {
  return name
    .replace(/^#\s*/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9äöüß]+/)
    .filter(Boolean);
}

export function readName(raw: string | null): NameInfo | null {
  if (raw === null || raw.trim() === '') return null;
  const tokens = tokenize(raw);
  const joined = tokens.join('');
  const roles = new Set<NameRole>();
  const has = (set: Set<string>) => tokens.some((t) => set.has(t)) || set.has(joined);
  if (has(LAT) || (tokens.length === 1 && tokens[0] === 'y')) roles.add('latitude');
  if (has(LON) || (tokens.length === 1 && tokens[0] === 'x')) roles.add('longitude');
  if (has(TIME) || /^t(ime)?(_?(ns|ms|us|s))?$/.test(joined) || tokens.some((t) => /^(started|ended)$/.test(t) && tokens.includes('at'))) roles.add('timestamp');
  if (has(ENTITY) || tokens.at(-1) === 'id') roles.add('entity');
  if (tokens.some((t) => SHARED.has(t))) roles.add('shared');
  if (tokens.some((t) => EVENT.has(t))) roles.add('event');
  if (has(ALT)) roles.add('altitude');
  if (tokens.some((t) => ANGLE.has(t)) || has(ANGLE)) roles.add('angle');
  if (tokens.some((t) => PROJECTED.has(t) && t !== 'x' && t !== 'y')) roles.add('projected');
  const group = tokens.some((t) => START.has(t)) || /^start/.test(joined) ? 'start' : tokens.some((t) => END.has(t)) || /^(stop|end)/.test(joined) ? 'end' : '';
  return { raw, tokens, roles, group };
}
