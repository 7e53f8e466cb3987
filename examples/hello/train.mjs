// A stand-in for a training script: fits y = 2x + 1 by gradient descent and reports as it goes.
import { writeFileSync } from 'node:fs';
import { reportMetric, reportResult } from '@regatta/sdk';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = arg('epochs', 30);
const lr = arg('lr', 0.5);
const xs = Array.from({ length: 64 }, (_, i) => i / 64);
const ys = xs.map((x) => 2 * x + 1);
let w = 0;
let b = 0;
let loss = Infinity;
for (let epoch = 1; epoch <= epochs; epoch++) {
  let gw = 0;
  let gb = 0;
  loss = 0;
  xs.forEach((x, i) => {
    const err = w * x + b - ys[i];
    gw += (2 * err * x) / xs.length;
    gb += (2 * err) / xs.length;
    loss += (err * err) / xs.length;
  });
  w -= lr * gw;
  b -= lr * gb;
  console.log(`epoch ${epoch}/${epochs} loss=${loss.toFixed(4)}`);
  await reportMetric('loss', loss, epoch);
}
writeFileSync('model.json', JSON.stringify({ w, b }));
await reportResult({ test_loss: loss, test_accuracy: Math.max(0, 1 - loss), w, b });
console.log(`done: w=${w.toFixed(3)} b=${b.toFixed(3)}`);
