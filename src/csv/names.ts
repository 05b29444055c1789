/**
 * What a header name says: tokens in many conventions (snake_case, camelCase, "Title Case",
 * kebab-case, "# " prefixes) and a few languages, read into role hints and a start/end group, so that
 * pickup_ goes with pickup_ and start_ with start_.
 */
export type NameRole =
  /** When the event happened (fix, observation, collection), said in so many words. */
  | 'eventtime'
  | 'latitude'
  | 'longitude'
  | 'timestamp'
  | 'entity'
  | 'altitude'
  | 'shared'
  | 'event'
  | 'angle'
  | 'projected'
  /** A quantity that is never a coordinate, even when the name also says lat/lon (latVelocity, err_lat). */
  | 'notcoord'
  /** When a record was kept, not when the event happened (updated, dateIdentified, created_at). */
  | 'recordtime'
  /** A fixed place (home, depot, deployment site, station), not a moving position. */
  | 'static'
  /** A count or calendar part, never an identifier (individualCount, year). */
  | 'quantity'
  /** Seconds or milliseconds since a start (elapsed, secs). */
  | 'elapsed';

export interface NameInfo {
  raw: string;
  tokens: string[];
  roles: Set<NameRole>;
  /** 'start', 'end' or '' when the name says neither. */
  group: '' | 'start' | 'end';
}

const LAT = new Set(['lat', 'latitude', 'latitud', 'latitudine', 'breitengrad', 'breite', 'latitude_wgs84', 'ycoord', 'breddegrad', 'breddgrad', 'leveysaste', 'szerokość', 'szerokosc', 'enlem', 'широта', 'latitudo', 'breedtegraad', 'šířka', 'sirka', 'φ', 'wgs84lat', 'lati']);
const LON = new Set(['lon', 'lng', 'long', 'longitude', 'longitud', 'longitudine', 'laengengrad', 'längengrad', 'lange', 'länge', 'xcoord', 'lengdegrad', 'längdgrad', 'langdgrad', 'pituusaste', 'długość', 'dlugosc', 'boylam', 'долгота', 'lengtegraad', 'délka', 'delka', 'λ', 'wgs84lon', 'longi']);
const TIME = new Set(['time', 'timestamp', 'datetime', 'date', 'ts', 'epoch', 'tidspunkt', 'dato', 'klokkeslett', 'aika', 'päivämäärä', 'czas', 'tarih', 'zaman', 'время', 'дата', 'tijd', 'datum_tijd', 'tijdstip', 'čas', 'orario', 'ora', 'zeitstempel', 'zeit', 'datum', 'data', 'fecha', 'hora', 'heure', 'horodatage', 'unix', 'utc', 'now', 'tst', 'starttime', 'stoptime', 'basedatetime', 'tns', 'tms', 'timestampms', 'time_ms', 'at', 'recorded', 'gpstime', 'fixtime', 'instant']);
const ENTITY = new Set([
  'id', 'uid', 'uuid', 'guid', 'device', 'deviceid', 'vehicle', 'vehicleid', 'taxi', 'taxiid', 'car', 'bus', 'ship', 'vessel', 'boat', 'mmsi', 'icao24', 'icao', 'hex',
  'plate', 'kennzeichen', 'fahrzeug', 'ordem', 'user', 'userid', 'person', 'individual', 'animal', 'bird', 'tag', 'trackid', 'object', 'entity', 'entityid',
  'imei', 'serial', 'unit', 'asset', 'bike', 'bikeid', 'driver', 'tail', 'registration', 'veiculo', 'vehiculo', 'matricula', 'agent', 'tracker', 'collar',
  'vid', 'veh', 'medallion', 'sid', 'platform', 'ptt', 'aircraft', 'drone', 'robot', 'phone', 'handset', 'subscriber', 'band', 'ring',
  'identifier', 'ident', 'buoy', 'float', 'glider', 'drifter', 'transmitter', 'transponder', 'beacon', 'logger', 'rover', 'fleet', 'truck', 'lorry', 'trailer', 'van', 'train', 'tram', 'ferry',
  'cab', 'scooter', 'yacht', 'plane', 'wmo', 'hull', 'navio', 'barco', 'bateau', 'schiff', 'fartøy', 'fartyg', 'alus', 'buque', 'camion', 'lkw', 'auto', 'coche', 'voiture', 'bil', 'ajoneuvo', 'pojazd', 'voertuig',
]);
/** German-style compounds: Fahrzeugnummer, Gerätekennung, Schiffsname. */
const ENTITY_COMPOUND = /^(fahrzeug|geraet|gerät|geräte|schiff|schiffs|boot|tier|fahrer|nutzer|benutzer|kunden?|sender|logger|tracker)(nummer|nr|id|kennung|name|code)$/;
const SHARED = new Set(['line', 'route', 'linha', 'linea', 'ligne', 'vendor', 'base', 'company', 'operator', 'type', 'status', 'station', 'stop', 'pattern', 'category', 'class', 'mode', 'provider', 'payment', 'flag', 'call', 'taxon', 'sensor', 'study', 'source', 'census', 'tract', 'area', 'community', 'destination', 'cargo', 'rate', 'rateCode', 'zone', 'block',
  // places: codes that put all their points at one place
  'locality', 'place', 'site', 'district', 'county', 'state', 'province', 'country', 'airport', 'net', 'network', 'radar', 'receiver', 'group', 'stand', 'beat', 'ward', 'dock', 'terminal', 'port', 'harbour', 'dataset', 'institution', 'protocol', 'basin', 'agency', 'satellite', 'instrument', 'model', 'taxonomic',
  'location', 'city', 'street', 'zipcode', 'zip', 'postal', 'address', 'neighborhood', 'neighbourhood', 'town', 'municipality', 'region', 'timezone', 'recording', 'squawk', 'flight', 'quality',
  // categories: kinds of things, never one thing
  'species', 'genus', 'family', 'kind', 'sex', 'gender', 'age', 'factor', 'reason', 'cause', 'description', 'desc', 'comment', 'remark', 'note', 'notes']);
const EVENT = new Set(['event', 'trip', 'ride', 'journey', 'record', 'row', 'index', 'idx', 'seq', 'profile', 'segment', 'cast', 'dive', 'leg', 'burst', 'session', 'deployment', 'cycle', 'mission', 'run', 'transect', 'sequence', 'message', 'msg', 'checkin', 'fix', 'point', 'observation', 'venue', 'stopid', 'order', 'rental', 'case', 'sample', 'sampling', 'occurrence', 'catalog', 'callsign']);
const ALT = new Set(['alt', 'altitude', 'elevation', 'ele', 'height', 'z', 'hoehe', 'höhe', 'altura', 'baroaltitude', 'geoaltitude', 'altbaro', 'altgeom']);
const ANGLE = new Set(['heading', 'direction', 'course', 'cog', 'bearing', 'track', 'rot', 'azimuth', 'angle', 'yaw', 'hdg', 'richtung', 'kurs', 'rumbo', 'sog', 'speed', 'velocity', 'vertrate', 'gs', 'geschwindigkeit', 'velocidade', 'accuracy', 'hdop', 'vdop', 'pdop', 'delay', 'distance', 'fare']);
const NOT_COORD = new Set([
  'speed', 'velocity', 'vel', 'acc', 'accel', 'acceleration', 'accuracy', 'error', 'err', 'std', 'stdev', 'sigma', 'var', 'variance', 'uncertainty', 'precision',
  'width', 'length', 'height', 'depth', 'distance', 'dist', 'temp', 'temperature', 'pressure', 'pres', 'salinity', 'psal', 'headway', 'radius', 'offset', 'delta', 'diff',
  've', 'vn', 'vu', 'vf', 'vl', 'vx', 'vy', 'vz', 'ax', 'ay', 'az', 'eph', 'epv', 'dop', 'hdop', 'vdop', 'pdop', 'gdop', 'rms', 'snr', 'rssi', 'battery', 'voltage', 'volt',
  'count', 'roll', 'pitch', 'yaw', 'grade', 'slope', 'wind', 'humidity', 'visibility', 'brightness', 'scan', 'duration', 'sog', 'cog', 'rate', 'mag', 'magnitude', 'gap', 'dmin',
]);
const RECORD_TIME = new Set(['updated', 'update', 'edited', 'modified', 'created', 'identified', 'interpreted', 'inserted', 'ingested', 'loaded', 'processed', 'server', 'servertime', 'imported', 'published', 'retrieved', 'scts', 'msg', 'received',
  'transmit', 'transmitted', 'transmission', 'sent', 'send', 'submission', 'submitted', 'submit', 'upload', 'uploaded', 'download', 'downloaded', 'sync', 'synced', 'logged', 'receipt', 'arrived', 'delivered']);
/** Words that name when the event itself happened (the fix, the observation), not when it was recorded. */
const EVENT_TIME = new Set(['collected', 'collection', 'collect', 'fix', 'acquisition', 'acquired', 'observed', 'observation', 'gps', 'position', 'measured', 'measurement', 'sampled', 'sighting', 'event', 'capture', 'utc']);
const STATIC = new Set(['home', 'depot', 'deploy', 'deployment', 'capture', 'release', 'nest', 'site', 'station', 'base', 'anchor', 'registered', 'office', 'origin']);
const QUANTITY = new Set(['count', 'total', 'amount', 'sum', 'year', 'month', 'day', 'hour', 'minute', 'second', 'yr', 'yy', 'yyyy', 'mon', 'mo', 'dd', 'dy', 'hh', 'hr', 'mn', 'min', 'ss', 'sec', 'doy', 'jday', 'julian', 'weekday', 'week',
  'battery', 'level', 'percent', 'pct', 'voltage', 'volt', 'temp', 'temperature', 'pressure', 'humidity', 'signal', 'rssi', 'snr', 'quality', 'depth', 'speed', 'weight', 'mass', 'length', 'width', 'height', 'score', 'confidence', 'probability', 'accuracy', 'duration', 'size', 'age', 'passengers', 'sats', 'satellites', 'fare', 'price', 'mag', 'frame', 'frames', 'lane']);
const ELAPSED = new Set(['secs', 'sec', 'seconds', 'elapsed', 'millisecond', 'milliseconds', 'ms', 's', 'relative', 'since', 'offset']);
const PROJECTED = new Set(['easting', 'northing', 'east', 'north', 'utm', 'x', 'y', 'rechtswert', 'hochwert', 'ecef']);
const START = new Set(['pickup', 'start', 'started', 'begin', 'origin', 'from', 'departure', 'src', 'orig', 'o']);
const END = new Set(['dropoff', 'end', 'ended', 'stop', 'dest', 'to', 'arrival', 'finish', 'd', 'ended_at']);

export function tokenize(name: string): string[] {
  return name
    .replace(/^#\s*/, '')
    // a short capital prefix glued to a word: PUlocationID -> PU location ID
    .replace(/(^|[^A-Za-z])([A-Z]{2})([a-z]{3,})/g, '$1$2 $3')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export function readName(raw: string | null): NameInfo | null {
  if (raw === null || raw.trim() === '') return null;
  const tokens = tokenize(raw);
  const joined = tokens.join('');
  const roles = new Set<NameRole>();
  const has = (set: Set<string>) => tokens.some((t) => set.has(t)) || set.has(joined);
  // y, py, pos_y: a position's y; vy, ay are velocities and accelerations (not coordinates)
  const axis = (a: string) => (tokens.length === 1 && (tokens[0] === a || tokens[0] === `p${a}`)) || (tokens.length === 2 && /^(pos|position|location|loc|coord|coords|coordinate|point|geo|gps)$/.test(tokens[0]!) && tokens[1] === a);
  // rawlat, gpslng, declat: a short qualifier glued to lat/lng
  const glued = (re: string) => tokens.some((t) => new RegExp(`^(raw|gps|geo|dec|wgs|cur|avg|mean|true|corr|fix)(${re})$`).test(t));
  if (has(LAT) || axis('y') || glued('lat|latitude')) roles.add('latitude');
  if (has(LON) || axis('x') || glued('lon|lng|long|longitude')) roles.add('longitude');
  if (has(TIME) || /^t(ime)?(_?(ns|ms|us|s))?$/.test(joined) || tokens.some((t) => /^(started|ended)$/.test(t) && tokens.includes('at'))) roles.add('timestamp');
  if (has(ENTITY) || /^(id|identifier|ident|uid|nr|no)$/.test(tokens.at(-1) ?? '') || tokens.some((t) => ENTITY_COMPOUND.test(t))) roles.add('entity');
  if (tokens.some((t) => SHARED.has(t))) roles.add('shared');
  if (tokens.some((t) => EVENT.has(t))) roles.add('event');
  if (has(ALT)) roles.add('altitude');
  if (tokens.some((t) => ANGLE.has(t)) || has(ANGLE)) roles.add('angle');
  if (tokens.some((t) => PROJECTED.has(t) && t !== 'x' && t !== 'y')) roles.add('projected');
  if (tokens.some((t) => NOT_COORD.has(t) || /^(vel|acc|err|std|var|sigma)/.test(t) && t.length > 3 && !LAT.has(t) && !LON.has(t))) roles.add('notcoord');
  if (tokens.some((t) => RECORD_TIME.has(t)) || /^(last|date)(edited|updated|modified|identified|interpreted)/.test(joined)) roles.add('recordtime');
  if (tokens.some((t) => STATIC.has(t))) roles.add('static');
  if (tokens.some((t) => EVENT_TIME.has(t))) roles.add('eventtime');
  if (tokens.some((t) => QUANTITY.has(t))) roles.add('quantity');
  if (tokens.some((t) => ELAPSED.has(t)) || /since(start|begin|boot)/.test(joined)) roles.add('elapsed');
  const group = tokens.some((t) => START.has(t)) || /^start/.test(joined) ? 'start' : tokens.some((t) => END.has(t)) || /^(stop|end)/.test(joined) ? 'end' : '';
  return { raw, tokens, roles, group };
}
