import { renderPicture } from '../dist/preview/render.js';
const world = Array.from({length:10000},(_, i)=>[-180+360*Math.random(), -60+120*Math.random()]);
const reg = Array.from({length:10000},(_, i)=>[-0.5+Math.random(), 51+Math.random()]);
const none = [];
for (const [name, pts] of [['world',world],['reg',reg],['none-world',none],['reg-few',reg.slice(0,10)]]) {
  const ts=[]; for (let k=0;k<30;k++){ const t=performance.now(); renderPicture([{label:'x', points: pts}]); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b); console.log(name, 'min', ts[0].toFixed(1), 'median', ts[15].toFixed(1));
}
