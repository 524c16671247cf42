// The grid map shared by 一张图 and the cockpit: MapLibre with no tile server and no
// internet — a plain background, the grids as GeoJSON fill and line layers, points as
// circles, labels as HTML markers (no glyphs URL, so no font requests). An optional raster
// base map (config tile_url) goes under the grids.
import 'maplibre-gl/dist/maplibre-gl.css';
import { Map as MlMap, Marker, NavigationControl, Popup, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { addMessages, currentLang, fmtNumber, fmtPercent, t } from './i18n.js';
import { h } from './ui.js';
import { bboxOfGeometry, classRows, GRADE_COLOURS as GRADES, labelPoint, scaleOf, tileZoom } from './mapscale.js';
import './gridmap.css';

setWorkerUrl(workerUrl);

addMessages({
  zh: {
    'gridmap.label': '网格地图（可用方向键平移，加减号缩放；网格列表见旁边）',
    'gridmap.measure.none': '不着色', 'gridmap.measure.open_tickets': '未办结工单',
    'gridmap.measure.overdue_tickets': '超时工单（SLA）', 'gridmap.measure.staffing_gaps': '人员缺口',
    'gridmap.measure.visit_coverage': '走访覆盖率', 'gridmap.measure.score': '考核得分',
    'gridmap.nodata': '无数据', 'gridmap.place': '场所', 'gridmap.ticket': '工单',
    'gridmap.grade.daily': '一般', 'gridmap.grade.urgent': '紧急', 'gridmap.grade.major': '重大',
    'gridmap.open': '打开',
  },
  en: {
    'gridmap.label': 'Grid map (arrow keys pan, plus and minus zoom; the grid list is beside it)',
    'gridmap.measure.none': 'No colouring', 'gridmap.measure.open_tickets': 'Open tickets',
    'gridmap.measure.overdue_tickets': 'Overdue tickets (SLA)', 'gridmap.measure.staffing_gaps': 'Staffing gaps',
    'gridmap.measure.visit_coverage': 'Visit coverage', 'gridmap.measure.score': 'Score',
    'gridmap.nodata': 'No data', 'gridmap.place': 'Place', 'gridmap.ticket': 'Ticket',
    'gridmap.grade.daily': 'Daily', 'gridmap.grade.urgent': 'Urgent', 'gridmap.grade.major': 'Major',
    'gridmap.open': 'Open',
  },
});

export { GRADE_COLOURS, tileZoom } from './mapscale.js';

/** Breaks and colours for a measure's values, numbers written in the page's language. */
export function scaleFor(name, values, dark = false) {
  const format = name === 'visit_coverage' ? (v) => fmtPercent(v, 0)
    : name === 'score' ? (v) => fmtNumber(v, 1) : (v) => fmtNumber(v);
  return { ...scaleOf(name, values, dark), format };
}

/** The legend's rows: [{colour, label}], the no-data row last. */
export function legendRows(scale) {
  return [...classRows(scale), { colour: 'nodata', label: t('gridmap.nodata') }];
}

export function legend(scale, title) {
  return h('div.map-legend', { 'data-testid': 'map-legend', role: 'group', 'aria-label': title },
    h('strong', title),
    h('ul', legendRows(scale).map((r) => h('li',
      h('span.swatch', { class: `swatch${r.colour === 'nodata' ? ' nodata' : ''}`, style: r.colour === 'nodata' ? {} : { background: r.colour }, 'aria-hidden': 'true' }),
      r.label))));
}




const EMPTY = { type: 'FeatureCollection', features: [] };
const MAX_LABELS = 60;
const MANY = 1500;

export class GridMap {
  /**
   * container: an element with a size. options: dark, tileUrl, tileAttribution,
   * onSelect(code, properties), onZoomBucket(zoom) (when the zoom moved 2 levels from the
   * geometry's), interactive.
   */
  constructor(container, { dark = false, tileUrl = '', tileAttribution = '', onSelect, onZoomBucket } = {}) {
    this.dark = dark;
    this.onSelect = onSelect || (() => {});
    this.onZoomBucket = onZoomBucket || (() => {});
    this.labels = [];
    this.selected = null;
    this.hovered = null;
    this.values = {};
    this.geometryZoom = null;
    const sources = {
      grids: { type: 'geojson', data: EMPTY, promoteId: 'code', tolerance: 0.5, buffer: 32 },
      frame: { type: 'geojson', data: EMPTY },
      places: { type: 'geojson', data: EMPTY },
      tickets: { type: 'geojson', data: EMPTY },
    };
    const layers = [{ id: 'background', type: 'background', paint: { 'background-color': dark ? '#071a33' : '#eef2f6' } }];
    if (tileUrl) {
      sources.base = { type: 'raster', tiles: [tileUrl], tileSize: 256, attribution: tileAttribution || '' };
      layers.push({ id: 'base', type: 'raster', source: 'base', paint: dark ? { 'raster-brightness-max': 0.45, 'raster-saturation': -0.6 } : {} });
    }
    const line = dark ? '#5fb3ff' : '#0b4f8a';
    layers.push(
      { id: 'frame-line', type: 'line', source: 'frame', paint: { 'line-color': dark ? '#9fd0ff' : '#3b4b5c', 'line-width': 2.5, 'line-dasharray': [3, 2] } },
      { id: 'grids-fill', type: 'fill', source: 'grids', paint: {
        'fill-color': dark ? '#12345c' : '#dfe8f2',
        'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.95, tileUrl ? 0.55 : 0.8],
      } },
      { id: 'grids-line', type: 'line', source: 'grids', paint: {
        'line-color': line, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.4, 14, 1.2],
      } },
      { id: 'grids-selected', type: 'line', source: 'grids', filter: ['==', ['get', 'code'], ''], paint: {
        'line-color': dark ? '#ffe066' : '#f5a623', 'line-width': 4,
      } },
      { id: 'places', type: 'circle', source: 'places', layout: { visibility: 'none' }, paint: {
        'circle-radius': 5, 'circle-color': dark ? '#7fdbff' : '#1565c0', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
      } },
      { id: 'tickets', type: 'circle', source: 'tickets', layout: { visibility: 'none' }, paint: {
        'circle-radius': 7,
        'circle-color': ['match', ['get', 'grade'], 'major', GRADES.major, 'urgent', GRADES.urgent, GRADES.daily],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
      } },
    );
    this.map = new MlMap({
      container,
      style: { version: 8, sources, layers },   // no glyphs, no sprite: nothing fetched
      center: [120.6, 31.3], zoom: 11, maxZoom: 19,
      attributionControl: tileUrl ? { compact: true } : false,
      dragRotate: false, pitchWithRotate: false, touchPitch: false,
      locale: currentLang() === 'zh' ? {
        'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小', 'NavigationControl.ResetBearing': '重置方向',
      } : {},
    });
    if (import.meta.env.DEV) window.__portalMap = this.map; // for a look from the console
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
    this.map.getCanvas().setAttribute('aria-label', t('gridmap.label'));
    this.loaded = new Promise((resolve) => this.map.on('load', resolve));
    this.map.on('mousemove', 'grids-fill', (e) => {
      const code = e.features[0] && e.features[0].properties.code;
      if (code === this.hovered) return;
      this._hover(code);
      this.map.getCanvas().style.cursor = 'pointer';
    });
    this.map.on('mouseleave', 'grids-fill', () => { this._hover(null); this.map.getCanvas().style.cursor = ''; });
    this.map.on('click', (e) => {
      const hits = this.map.queryRenderedFeatures(e.point, { layers: ['tickets', 'places', 'grids-fill'].filter((l) => this.map.getLayer(l)) });
      if (!hits.length) return;
      const top = hits[0];
      if (top.layer.id === 'grids-fill') this.onSelect(top.properties.code, top.properties);
      else this._popup(top, e.lngLat);
    });
    for (const id of ['tickets', 'places']) {
      this.map.on('mouseenter', id, () => { this.map.getCanvas().style.cursor = 'pointer'; });
      this.map.on('mouseleave', id, () => { this.map.getCanvas().style.cursor = ''; });
    }
    this.map.on('zoomend', () => {
      if (this.geometryZoom === null) return;
      const z = tileZoom(this.map.getZoom());
      if (Math.abs(z - this.geometryZoom) >= 2) this.onZoomBucket(z);
    });
  }

  _hover(code) {
    if (this.hovered) this.map.setFeatureState({ source: 'grids', id: this.hovered }, { hover: false });
    this.hovered = code;
    if (code) this.map.setFeatureState({ source: 'grids', id: code }, { hover: true });
  }

  _popup(feature, lngLat) {
    const p = feature.properties;
    const body = feature.layer.id === 'tickets'
      ? h('div', h('strong', `${t('gridmap.ticket')} ${p.number}`), h('div', `${t(`gridmap.grade.${p.grade}`, p.grade)} · ${p.status}`),
        h('div', p.description), h('a', { href: `#/tickets/${encodeURIComponent(p.id)}` }, t('gridmap.open')))
      : h('div', h('strong', p.name), h('div', `${t('gridmap.place')} · ${p.type}`), p.address ? h('div', p.address) : null);
    new Popup({ closeButton: true, maxWidth: '260px' }).setLngLat(lngLat).setDOMContent(body).addTo(this.map);
  }

  /** The (web-mercator) zoom to ask geometry for, for a bbox fitted in this map's size. */
  zoomFor(bbox) {
    if (!bbox) return tileZoom(this.map.getZoom());
    const camera = this.map.cameraForBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 20 });
    return tileZoom(camera ? camera.zoom : this.map.getZoom());
  }

  /** The (web-mercator) zoom the map shows now. */
  tileZoom() { return tileZoom(this.map.getZoom()); }

  /** The (web-mercator) zoom at which a grid of this area (m², about square) fills the map. */
  zoomForArea(areaM2) {
    const canvas = this.map.getCanvas();
    const px = Math.max(200, Math.min(canvas.clientWidth, canvas.clientHeight) - 40);
    const metresPerPixel = Math.sqrt(areaM2) * 1.3 / px;
    const lat = this.map.getCenter().lat;
    // metres per pixel at MapLibre zoom 0 (a 512-pixel world): 78271.5 at the equator
    const z = Math.log2((78271.52 * Math.cos((lat * Math.PI) / 180)) / metresPerPixel);
    return tileZoom(z);
  }

  /** Draw the grids (a FeatureCollection); fit to bbox when given. Resolves at the next idle. */
  async setGrids(collection, { bbox, zoom, fit = true, frame = null, stripPrefix = '' } = {}) {
    await this.loaded;
    this.stripPrefix = stripPrefix;
    this.features = collection.features;
    this.geometryZoom = zoom ?? null;
    // the camera first, so tiles are cut once, for the view they are seen at
    if (fit && bbox) this.map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 20, duration: 0 });
    // thousands of grids: outlines from the fill layer (cheap), not a line layer to tessellate
    const many = collection.features.length > MANY;
    this.map.setLayoutProperty('grids-line', 'visibility', many ? 'none' : 'visible');
    this.map.setPaintProperty('grids-fill', 'fill-outline-color', many ? (this.dark ? '#5fb3ff' : '#0b4f8a') : 'rgba(0,0,0,0)');
    this.map.getSource('grids').setData(collection);
    this.map.getSource('frame').setData(frame ? { type: 'FeatureCollection', features: [frame] } : EMPTY);
    this._hover(null);
    this.applyValues();
    this.select(this.selected);
    this._labels();
    await new Promise((resolve) => this.map.once('idle', resolve));
  }

  /** Colour by values {code: number|null} with the scale of scaleFor(); null scale: plain. */
  setValues(values, scale) {
    this.values = values || {};
    this.scale = scale;
    this.applyValues();
  }

  applyValues() {
    if (!this.map.getSource('grids') || !this.features) return;
    const plain = this.dark ? '#12345c' : '#dfe8f2';
    if (!this.scale) {
      this.map.setPaintProperty('grids-fill', 'fill-color', plain);
      return;
    }
    for (const f of this.features) {
      const v = this.values[f.properties.code];
      this.map.setFeatureState({ source: 'grids', id: f.properties.code }, { v: typeof v === 'number' ? v : null });
    }
    const { breaks, colours } = this.scale;
    const step = ['step', ['to-number', ['feature-state', 'v']], colours[0]];
    breaks.forEach((b, i) => step.push(b, colours[Math.min(i + 1, colours.length - 1)]));
    this.map.setPaintProperty('grids-fill', 'fill-color',
      ['case', ['==', ['typeof', ['feature-state', 'v']], 'number'], step, this.dark ? '#2a3d55' : '#c9d1da']);
  }

  select(code) {
    this.selected = code || null;
    if (this.map.getLayer('grids-selected')) this.map.setFilter('grids-selected', ['==', ['get', 'code'], this.selected || '']);
  }

  focusGrid(code) {
    const f = (this.features || []).find((x) => x.properties.code === code);
    if (!f) return;
    const [lon, lat] = labelPoint(f.geometry);
    this.map.easeTo({ center: [lon, lat], duration: 300 });
  }

  _labels() {
    this.labels.forEach((m) => m.remove());
    this.labels = [];
    const features = this.features || [];
    // names only where they fit: few grids for the map's size
    const canvas = this.map.getCanvas();
    const room = (canvas.clientWidth * canvas.clientHeight) / 14000;
    if (features.length > MAX_LABELS || features.length > room) return;
    for (const f of features) {
      // a child's name usually repeats its parent's: 彩香一村第一网格第1住户小组 -> 第1住户小组
      let name = f.properties.name || '';
      if (this.stripPrefix && name.startsWith(this.stripPrefix) && name.length > this.stripPrefix.length + 1) name = name.slice(this.stripPrefix.length);
      // and only on a grid wide enough on screen for its name
      const [west, south, east, north] = bboxOfGeometry(f.geometry);
      const a = this.map.project([west, north]);
      const b = this.map.project([east, south]);
      if (Math.abs(b.x - a.x) < Math.min(name.length, 8) * 11 || Math.abs(b.y - a.y) < 20) continue;
      const el = h('div.map-label', { 'aria-hidden': 'true', title: f.properties.name }, name);
      this.labels.push(new Marker({ element: el }).setLngLat(labelPoint(f.geometry)).addTo(this.map));
    }
  }

  showLabels(on) { this.labels.forEach((m) => { m.getElement().style.display = on ? '' : 'none'; }); }

  setPoints(layer, items) {
    const features = items.map((it) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [it.lon, it.lat] },
      properties: layer === 'tickets'
        ? { id: it.id, number: it.number, grade: it.grade, status: it.status, description: (it.description || '').slice(0, 80) }
        : { name: it.name, type: it.type, address: it.address || '' },
    }));
    this.map.getSource(layer).setData({ type: 'FeatureCollection', features });
  }

  showLayer(layer, on) {
    if (this.map.getLayer(layer)) this.map.setLayoutProperty(layer, 'visibility', on ? 'visible' : 'none');
    // names are HTML above the canvas: faint while points are shown, so no point hides under one
    const points = ['places', 'tickets'].some((l) => this.map.getLayer(l) && this.map.getLayoutProperty(l, 'visibility') === 'visible');
    this.map.getContainer().classList.toggle('with-points', points);
  }

  resize() { this.map.resize(); }

  destroy() {
    this.labels.forEach((m) => m.remove());
    this.map.remove();
  }
}
