// bayescape dashboard: the computations of `bayescape diagnose` on the embedded posterior draws.
// Every number comes from the JSON block #bayescape-data (draws, x_ref, floors, item counts);
// the maths mirrors bayescape.models.phase (curves, new_family_moments), bayescape.models.
// _likelihood (truncated-normal score density) and bayescape.analysis._importance (weights,
// weighted quantiles). User data only ever reaches the page through textContent.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("bayescape-data").textContent);
  const META = D.meta;
  const POP = D.population;
  const FAM = D.families;
  const COV = D.covariates;
  const MODELS = D.models;
  const RB = D.benchmarks.reasoning;
  const TB = D.benchmarks.truthfulness;
  const NDRAWS = META.n_draws;
  const SVGNS = "http://www.w3.org/2000/svg";

  // ---------------------------------------------------------------------------------------
  // Random numbers: a seeded generator (mulberry32) and standard normals (Box-Muller)

  function rng(seed) {
    let s = seed >>> 0;
    let spare = null;
    const uniform = function () {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const normal = function () {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      const th = 2 * Math.PI * uniform();
      spare = r * Math.sin(th);
      return r * Math.cos(th);
    };
    return { uniform: uniform, normal: normal };
  }

  // ---------------------------------------------------------------------------------------
  // The phase model's curves (bayescape.models.phase)

  const sigmoid = (u) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u)));
  const softplus = (u) => Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));

  function reasoningCurve(x, floor, a, b, m) {
    return floor + (1 - floor) * sigmoid(a + b * (x - m));
  }
  function reasoningIntegral(x, floor, a, b, m) {
    return floor * (x - m) + ((1 - floor) * (softplus(a + b * (x - m)) - softplus(a))) / b;
  }
  function truthfulnessCurve(x, floor, a, b, m, t, gamma, c) {
    const rx = reasoningCurve(x, floor, a, b, m);
    const rm = reasoningCurve(m, floor, a, b, m);
    return t + gamma * ((x - c) * rx - (m - c) * rm - reasoningIntegral(x, floor, a, b, m));
  }

  // ---------------------------------------------------------------------------------------
  // The score likelihood (bayescape.models._likelihood): normal truncated to [0, 1]

  function scoreSd(mu, n, sigma) {
    const p = Math.min(Math.max(mu, META.p_min), 1 - META.p_min);
    return Math.sqrt((p * (1 - p)) / n + sigma * sigma);
  }
  // log erfc(z) for z >= 0 (Chebyshev fit, relative error < 1.2e-7, no underflow in the tail)
  function logErfcPos(z) {
    const t = 1 / (1 + 0.5 * z);
    const poly =
      -z * z - 1.26551223 +
      t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
      t * 0.17087277))))))));
    return Math.log(t) + poly;
  }
  function logNdtr(h) {
    const z = -h / Math.SQRT2;
    if (z >= 0) return Math.log(0.5) + logErfcPos(z);
    return Math.log1p(-0.5 * Math.exp(logErfcPos(-z)));
  }
  function scoreLogpdf(y, mu, n, sigma) {
    const s = scoreSd(mu, n, sigma);
    let hi = (1 - mu) / s;
    let lo = -mu / s;
    if (lo > 0) {
      const h = hi;
      hi = -lo;
      lo = -h;
    }
    const logHi = logNdtr(hi);
    const logLo = logNdtr(lo);
    const logMass = logHi + Math.log1p(-Math.exp(Math.min(logLo - logHi, 0)));
    const z = (y - mu) / s;
    return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - Math.log(s) - logMass;
  }
  function sampleScore(mu, n, sigma, r) {
    const s = scoreSd(mu, n, sigma);
    for (let k = 0; k < 1000; k++) {
      const y = mu + s * r.normal();
      if (y >= 0 && y <= 1) return y;
    }
    return Math.min(Math.max(mu, 0), 1);
  }

  // ---------------------------------------------------------------------------------------
  // Weighted statistics (bayescape.analysis._importance)

  function weightedQuantiles(values, weights, qs) {
    const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
    const v = order.map((i) => values[i]);
    const cum = new Array(v.length);
    let acc = 0;
    for (let k = 0; k < v.length; k++) {
      const w = weights[order[k]];
      cum[k] = acc + 0.5 * w;
      acc += w;
    }
    const first = cum[0];
    const last = cum[cum.length - 1];
    const span = last - first;
    const grid = cum.map((c) => (span > 0 ? (c - first) / span : 0));
    return qs.map(function (q) {
      if (q <= grid[0]) return v[0];
      if (q >= grid[grid.length - 1]) return v[v.length - 1];
      let lo = 0;
      let hi = grid.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (grid[mid] <= q) lo = mid;
        else hi = mid;
      }
      const g = grid[hi] - grid[lo];
      return g > 0 ? v[lo] + ((q - grid[lo]) / g) * (v[hi] - v[lo]) : v[hi];
    });
  }
  function summary(values, weights) {
    const tail = (1 - META.prob) / 2;
    const q = weightedQuantiles(values, weights, [0.5, tail, 1 - tail]);
    return { median: q[0], low: q[1], high: q[2] };
  }
  const uniformWeights = (n) => new Array(n).fill(1 / n);
  const dot = (w, v) => w.reduce((acc, wi, i) => acc + wi * v[i], 0);
  function median(arr) {
    const s = arr.slice().sort((p, q) => p - q);
    const k = s.length >> 1;
    return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
  }

  // ---------------------------------------------------------------------------------------
  // A new family (bayescape.models.phase.new_family_moments / new_family_draws)

  function cholesky(a) {
    const n = a.length;
    const l = a.map((row) => row.map(() => 0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i][j];
        for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
        l[i][j] = i === j ? Math.sqrt(Math.max(s, 0)) : s / l[j][j];
      }
    }
    return l;
  }

  function moments(d, z, anchor) {
    // mean and covariance of theta = (a, log b, t, log gamma, c) at posterior draw d
    const effects = [
      [0, POP.a_beta[d]],
      [2, POP.t_beta[d]],
      [4, POP.beta[d]],
    ];
    const shift = [0, 0, 0, 0, 0];
    const load = [[], [], [], [], []];
    for (const [row, eff] of effects) {
      for (let k = 0; k < z.length; k++) {
        if (z[k] === null) load[row].push(eff[k]);
        else shift[row] += eff[k] * z[k];
      }
    }
    const nUnknown = z.filter((v) => v === null).length;
    for (const row of [1, 3]) load[row] = new Array(nUnknown).fill(0);
    const mean = [
      POP.a_mu[d] + POP.a_trend[d] * (anchor - META.x_ref) + shift[0],
      POP.log_b_mu[d],
      POP.t_mu[d] + POP.t_trend[d] * (anchor - META.x_ref) + shift[2],
      POP.log_gamma_mu[d],
      POP.mu_c[d] + shift[4],
    ];
    const sds = [POP.a_sigma[d], POP.log_b_sigma[d], POP.t_sigma[d], POP.log_gamma_sigma[d],
      POP.tau_c[d]];
    const cov = [];
    for (let i = 0; i < 5; i++) {
      cov.push([]);
      for (let j = 0; j < 5; j++) {
        let s = i === j ? sds[i] * sds[i] : 0;
        for (let k = 0; k < nUnknown; k++) s += load[i][k] * load[j][k];
        cov[i].push(s);
      }
    }
    return { mean: mean, chol: cholesky(cov) };
  }

  function newFamilyDraws(z, anchor, r) {
    // one block of replicates per posterior draw, as bayescape.models._kinds.replicated_rows;
    // theta = (a, log b, t, log gamma, c) per draw, with the moments of its posterior draw
    const reps = Math.max(1, Math.ceil(META.new_family_draws / NDRAWS));
    const out = { theta: [], row: [], moments: [] };
    for (let d = 0; d < NDRAWS; d++) {
      const m = moments(d, z, anchor);
      out.moments.push(m);
      for (let k = 0; k < reps; k++) {
        const eps = [r.normal(), r.normal(), r.normal(), r.normal(), r.normal()];
        out.theta.push(m.mean.map((mu, i) => {
          let s = mu;
          for (let j = 0; j <= i; j++) s += m.chol[i][j] * eps[j];
          return s;
        }));
        out.row.push(d);
      }
    }
    return out;
  }

  function logNormalDensity(th, m) {
    // log N(th | mean, L L^T) up to a constant (bayescape.models.phase.new_family_log_density)
    const resid = [];
    let sum = 0;
    let logDet = 0;
    for (let i = 0; i < th.length; i++) {
      let v = th[i] - m.mean[i];
      for (let j = 0; j < i; j++) v -= m.chol[i][j] * resid[j];
      resid.push(v / m.chol[i][i]);
      sum += resid[i] * resid[i];
      logDet += Math.log(m.chol[i][i]);
    }
    return -0.5 * sum - logDet;
  }

  function proposalDraws(r, location, scale, n) {
    // multivariate Student t (bayescape.analysis._importance._proposal_draws) and its log
    // density up to a constant; the chi-square of integer degrees of freedom as a sum of squares
    const df = META.proposal.df;
    const m = { mean: location, chol: cholesky(scale) };
    const dim = location.length;
    const theta = [];
    const logq = [];
    let logDet = 0;
    for (let i = 0; i < dim; i++) logDet += Math.log(m.chol[i][i]);
    for (let k = 0; k < n; k++) {
      const eps = [];
      for (let i = 0; i < dim; i++) eps.push(r.normal());
      let chi = 0;
      for (let i = 0; i < df; i++) {
        const g = r.normal();
        chi += g * g;
      }
      const u = Math.sqrt(chi / df);
      const th = location.map((mu, i) => {
        let s = 0;
        for (let j = 0; j <= i; j++) s += m.chol[i][j] * eps[j];
        return mu + s / u;
      });
      const delta = -2 * (logNormalDensity(th, m) + logDet);
      theta.push(th);
      logq.push(-0.5 * (df + dim) * Math.log1p(delta / df) - logDet);
    }
    return { theta: theta, logq: logq };
  }

  function normalised(logw) {
    const top = logw.reduce((p, q) => (q > p ? q : p), -Infinity);
    if (!Number.isFinite(top)) return { w: logw.map(() => 1 / logw.length), ess: 0 };
    const raw = logw.map((v) => Math.exp(v - top));
    const total = raw.reduce((p, q) => p + q, 0);
    const w = raw.map((v) => v / total);
    return { w: w, ess: 1 / w.reduce((p, q) => p + q * q, 0) };
  }

  function weightedMoments(theta, w) {
    const dim = theta[0].length;
    const loc = new Array(dim).fill(0);
    theta.forEach((th, k) => th.forEach((v, i) => (loc[i] += w[k] * v)));
    const scale = loc.map(() => new Array(dim).fill(0));
    theta.forEach(function (th, k) {
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < dim; j++) {
          scale[i][j] += META.proposal.scale * w[k] * (th[i] - loc[i]) * (th[j] - loc[j]);
        }
      }
    });
    for (let i = 0; i < dim; i++) scale[i][i] += META.proposal.jitter;
    return { loc: loc, scale: scale };
  }

  function conditionedFamily(z, x, given) {
    // bayescape.analysis._importance.simulate_family with one measured model (this one, so
    // the family's anchor is x): population draws weighted by the scores' likelihood; below
    // min_ess effective draws, up to three rounds of a Student t fitted to the weighted draws
    const r = rng(META.seed);
    const pop = newFamilyDraws(z, x, r);
    const n = pop.theta.length;
    const loglik = function (th, d) {
      const b = Math.exp(th[1]);
      const rmu = reasoningCurve(x, RB.floor, th[0], b, x);
      const tmu = truthfulnessCurve(x, RB.floor, th[0], b, x, th[2], Math.exp(th[3]), th[4]);
      const lw = scoreLogpdf(given[0], rmu, RB.n_items, POP.sigma_reasoning[d]) +
        scoreLogpdf(given[1], tmu, TB.n_items, POP.sigma_truthfulness[d]);
      return Number.isFinite(lw) ? lw : -Infinity;
    };
    let theta = pop.theta;
    let logq = null;
    let best = null;
    for (let round = 0; round < META.proposal.rounds; round++) {
      const logw = theta.map(function (th, k) {
        const d = pop.row[k];
        const extra = logq === null ? 0 : logNormalDensity(th, pop.moments[d]) - logq[k];
        return loglik(th, d) + extra;
      });
      const nw = normalised(logw);
      if (best === null || nw.ess > best.ess) {
        best = { theta: theta, w: nw.w, ess: nw.ess, adapted: logq !== null };
      }
      if (nw.ess >= META.min_ess) break;
      const fitted = weightedMoments(theta, nw.w);
      const prop = proposalDraws(r, fitted.loc, fitted.scale, n);
      theta = prop.theta;
      logq = prop.logq;
    }
    return best;
  }

  function familyCovariates(attrs) {
    // natural-unit covariates of a described family (bayescape.analysis._new_family):
    // null where unknown; one known data-curation class makes every indicator known
    const values = {};
    for (const name of COV.names) {
      let v = null;
      if (name.startsWith("curation_") && attrs.data_curation) {
        v = name === "curation_" + attrs.data_curation ? 1 : 0;
      } else if (name === "log10_tokens_per_param" && attrs.tokens_per_param) {
        v = Math.log10(attrs.tokens_per_param);
      } else if (name === "log2_width_per_layer" && attrs.width_per_layer) {
        v = Math.log2(attrs.width_per_layer);
      } else if (name === "distillation" && attrs.distillation) {
        v = DISTILLATION[attrs.distillation];
      }
      values[name] = v;
    }
    return values;
  }
  const DISTILLATION = { yes: 1, partial: 0.5, no: 0 };

  // ---------------------------------------------------------------------------------------
  // The diagnosis (bayescape.analysis._diagnose.diagnose_model)

  function levers(current) {
    const rows = COV.names.map(function (name, k) {
      const perUnit = POP.beta.map((row) => row[k] / COV.scale[k]);
      const s = summary(perUnit, uniformWeights(perUnit.length));
      return {
        covariate: name,
        unit: COV.units[k],
        current: current[name],
        median: s.median,
        low: s.low,
        high: s.high,
        pLowers: perUnit.filter((v) => v < 0).length / perUnit.length,
      };
    });
    return rows.sort((p, q) => Math.abs(q.median) - Math.abs(p.median));
  }

  function diagnose(inp) {
    const x = Math.log10(inp.size);
    const given = [inp.reasoning, inp.truthfulness];
    const floor = RB.floor;
    const notes = [];
    let c, w, gamma, expected, current, ess, basis, familyName;
    if (inp.family !== null) {
      const j = inp.family;
      const P = FAM.draws;
      const m = FAM.anchor[j];
      c = P.c[j];
      w = uniformWeights(c.length);
      gamma = P.gamma[j];
      const r = rng(META.seed);
      const rep = [[], []];
      for (let d = 0; d < c.length; d++) {
        const a = P.a[j][d];
        const b = P.b[j][d];
        const rmu = reasoningCurve(x, floor, a, b, m);
        const tmu = truthfulnessCurve(x, floor, a, b, m, P.t[j][d], gamma[d], c[d]);
        rep[0].push(sampleScore(rmu, RB.n_items, POP.sigma_reasoning[d], r));
        rep[1].push(sampleScore(tmu, TB.n_items, POP.sigma_truthfulness[d], r));
      }
      expected = rep.map((v, k) =>
        Object.assign(summary(v, w), { percentile: v.filter((y) => y < given[k]).length / v.length })
      );
      current = {};
      COV.names.forEach((name, k) => (current[name] = FAM.covariates[j][k]));
      if (x < FAM.x_min[j] || x > FAM.x_max[j]) {
        notes.push("size outside the family's observed range (" + fmtSize(10 ** FAM.x_min[j]) +
          " to " + fmtSize(10 ** FAM.x_max[j]) + " parameters): an extrapolation");
      }
      expected.forEach(function (e, k) {
        if (Math.min(e.percentile, 1 - e.percentile) < (1 - META.prob) / 2) {
          notes.push("the " + [RB, TB][k].name + " score is outside the family's 95% predictive " +
            "interval at this size: does the model belong to " + FAM.names[j] + "?");
        }
      });
      ess = c.length;
      basis = "family posterior";
      familyName = FAM.names[j];
    } else {
      current = familyCovariates(inp.attrs);
      const z = COV.names.map((name, k) =>
        current[name] === null ? null : (current[name] - COV.center[k]) / COV.scale[k]
      );
      const sim = conditionedFamily(z, x, given);
      w = sim.w;
      ess = sim.ess;
      c = sim.theta.map((th) => th[4]);
      gamma = sim.theta.map((th) => Math.exp(th[3]));
      // the prediction before these scores: no listed model, anchored at the fitted families'
      // median anchor (a separate stream, as diagnose's seed + 1)
      const anchor0 = median(FAM.anchor);
      const r = rng(META.seed + 1);
      const prior = newFamilyDraws(z, anchor0, r);
      const rep = [[], []];
      prior.theta.forEach(function (th, i) {
        const d = prior.row[i];
        const b = Math.exp(th[1]);
        const rmu = reasoningCurve(x, floor, th[0], b, anchor0);
        const tmu = truthfulnessCurve(x, floor, th[0], b, anchor0, th[2], Math.exp(th[3]), th[4]);
        rep[0].push(sampleScore(rmu, RB.n_items, POP.sigma_reasoning[d], r));
        rep[1].push(sampleScore(tmu, TB.n_items, POP.sigma_truthfulness[d], r));
      });
      const pw = uniformWeights(prior.theta.length);
      expected = rep.map((v, k) =>
        Object.assign(summary(v, pw), { percentile: v.filter((y) => y < given[k]).length / v.length })
      );
      const unknown = COV.names.filter((name) => current[name] === null);
      if (unknown.length) {
        notes.push("unknown covariate(s) drawn as a random family's: " + unknown.join(", "));
      }
      if (ess < META.min_ess) {
        notes.push("importance weights are degenerate (effective sample size " +
          ess.toFixed(0) + " of " + w.length + "): the scores are far from what the population " +
          "predicts; refit with this family in the data for reliable intervals");
      }
      basis = "new family";
      familyName = inp.attrs.data_curation || COV.names.some((n) => current[n] !== null)
        ? "new family" : "random family";
    }
    const pTax = dot(w, c.map((ci) => (ci > x ? 1 : 0)));
    const phase = pTax >= META.threshold ? "tax" : 1 - pTax >= META.threshold ? "bonus" :
      "uncertain";
    const nc = summary(c, w);
    return {
      x: x,
      family: familyName,
      basis: basis,
      pTax: pTax,
      pBonus: 1 - pTax,
      phase: phase,
      nc: { median: 10 ** nc.median, low: 10 ** nc.low, high: 10 ** nc.high },
      decades: summary(c.map((ci) => x - ci), w),
      coupling: summary(c.map((ci, i) => gamma[i] * (x - ci)), w),
      expected: expected,
      levers: levers(current),
      ess: ess,
      notes: notes,
    };
  }

  // ---------------------------------------------------------------------------------------
  // The panel: nearest models and P(bonus) of every model

  function columnSd(values) {
    const m = values.reduce((p, q) => p + q, 0) / values.length;
    return Math.sqrt(values.reduce((p, q) => p + (q - m) * (q - m), 0) / values.length) || 1;
  }
  const SD = [columnSd(MODELS.x), columnSd(MODELS.reasoning), columnSd(MODELS.truthfulness)];

  function nearest(x, rs, ts, count) {
    const rows = MODELS.name.map(function (name, i) {
      const dx = (MODELS.x[i] - x) / SD[0];
      const dr = (MODELS.reasoning[i] - rs) / SD[1];
      const dt = (MODELS.truthfulness[i] - ts) / SD[2];
      return { i: i, distance: Math.sqrt(dx * dx + dr * dr + dt * dt) };
    });
    return rows.sort((p, q) => p.distance - q.distance).slice(0, count);
  }

  const PANEL_BONUS = MODELS.x.map(function (x, i) {
    const c = FAM.draws.c[MODELS.family[i]];
    return c.filter((ci) => ci <= x).length / c.length;
  });

  // ---------------------------------------------------------------------------------------
  // Formatting and DOM helpers (textContent only)

  function fmt(v, digits) {
    if (v === null || v === undefined || !Number.isFinite(v)) return "unknown";
    return Number(v.toPrecision(digits || 3)).toString();
  }
  function fmtSize(v) {
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (const [scale, suffix] of units) {
      if (v >= scale) return fmt(v / scale, 3) + suffix;
    }
    return fmt(v, 3);
  }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function table(headers, rows, numeric) {
    const t = el("table");
    const head = el("tr");
    headers.forEach((h) => head.appendChild(el("th", h)));
    t.appendChild(head);
    rows.forEach(function (row) {
      const tr = el("tr");
      row.forEach((cell, k) => tr.appendChild(el("td", cell, numeric && numeric[k] ? "num" : "")));
      t.appendChild(tr);
    });
    return t;
  }
  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const key in attrs) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function bonusColour(p) {
    // red (tax) to blue (bonus) through grey
    const from = [178, 24, 43];
    const mid = [200, 200, 200];
    const to = [33, 102, 172];
    const [a, b, u] = p < 0.5 ? [from, mid, p / 0.5] : [mid, to, (p - 0.5) / 0.5];
    const c = a.map((v, k) => Math.round(v + (b[k] - v) * u));
    return "rgb(" + c.join(",") + ")";
  }

  // ---------------------------------------------------------------------------------------
  // Inputs and the URL fragment

  const INPUTS = {
    size: document.getElementById("in-size"),
    reasoning: document.getElementById("in-reasoning"),
    truthfulness: document.getElementById("in-truthfulness"),
    family: document.getElementById("in-family"),
    data_curation: document.getElementById("in-data_curation"),
    tokens_per_param: document.getElementById("in-tokens_per_param"),
    width_per_layer: document.getElementById("in-width_per_layer"),
    distillation: document.getElementById("in-distillation"),
    swe: document.getElementById("in-swe"),
    lab: document.getElementById("in-lab"),
  };
  const FR = D.frontier;
  if (!FR) {
    delete INPUTS.swe;
    delete INPUTS.lab;
  }
  // fragment key of each input: the benchmarks by their own names
  const KEYS = {
    size: "size",
    reasoning: RB.name,
    truthfulness: TB.name,
    family: "family",
    data_curation: "data_curation",
    tokens_per_param: "tokens_per_param",
    width_per_layer: "width_per_layer",
    distillation: "distillation",
    swe: "swe",
    lab: "lab",
  };
  const SIZE_SUFFIX = { "": 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 };
  const NUMBER = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*$/;

  function parseSize(text) {
    const match = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBtT]?)\s*$/.exec(text);
    if (!match) return null;
    const v = parseFloat(match[1]) * SIZE_SUFFIX[match[2].toLowerCase()];
    return Number.isFinite(v) && v >= META.min_size ? v : null;
  }
  function parseScore(text) {
    const match = NUMBER.exec(text);
    if (!match) return null;
    const v = parseFloat(match[1]);
    return Number.isFinite(v) && v > 0 && v < 1 ? v : null;
  }
  function parsePositive(text) {
    const match = NUMBER.exec(text);
    if (!match) return null;
    const v = parseFloat(match[1]);
    return Number.isFinite(v) && v > 0 ? v : null;
  }
  const VALID = {
    size: parseSize,
    reasoning: parseScore,
    truthfulness: parseScore,
    family: (v) => (FAM.names.indexOf(v) >= 0 ? v : null),
    data_curation: (v) => (COV.curation_classes.indexOf(v) >= 0 ? v : null),
    tokens_per_param: parsePositive,
    width_per_layer: parsePositive,
    distillation: (v) => (Object.prototype.hasOwnProperty.call(DISTILLATION, v) ? v : null),
    swe: parseScore,
    lab: (v) => (FR && FR.labs.indexOf(v) >= 0 ? v : null),
  };

  function addOptions(select, values, blank) {
    select.appendChild(el("option", blank)).value = "";
    values.forEach((v) => (select.appendChild(el("option", v)).value = v));
  }

  function readFragment() {
    let params;
    try {
      params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    } catch (err) {
      return;
    }
    for (const field in INPUTS) {
      const raw = params.get(KEYS[field]);
      const ok = raw !== null && raw.length <= 200 && VALID[field](raw) !== null;
      INPUTS[field].value = ok ? raw : "";
    }
  }

  function writeFragment() {
    const params = new URLSearchParams();
    for (const field in INPUTS) {
      const raw = INPUTS[field].value.trim();
      if (raw && VALID[field](raw) !== null) params.set(KEYS[field], raw);
    }
    const hash = "#" + params.toString();
    if (window.location.hash !== hash) window.history.replaceState(null, "", hash);
  }

  function readInputs() {
    const value = (field) => VALID[field](INPUTS[field].value.trim());
    const family = value("family");
    return {
      size: value("size"),
      reasoning: value("reasoning"),
      truthfulness: value("truthfulness"),
      family: family === null ? null : FAM.names.indexOf(family),
      attrs: {
        data_curation: value("data_curation"),
        tokens_per_param: value("tokens_per_param"),
        width_per_layer: value("width_per_layer"),
        distillation: value("distillation"),
      },
    };
  }

  // ---------------------------------------------------------------------------------------
  // Output

  const RESULT = document.getElementById("result");

  function showResult(inp) {
    RESULT.replaceChildren();
    for (const attr of ["pTax", "pBonus", "phase", "nc", "ess"]) delete RESULT.dataset[attr];
    const missing = ["size", "reasoning", "truthfulness"].filter((k) => inp[k] === null);
    if (missing.length) {
      RESULT.appendChild(el("p", "Enter a valid " + missing.map((k) =>
        k === "size" ? "size (at least " + fmtSize(META.min_size) + ")" :
        (k === "reasoning" ? RB : TB).label + " score (a fraction strictly between 0 and 1)"
      ).join(", "), "note"));
      return null;
    }
    const res = diagnose(inp);
    RESULT.dataset.pTax = res.pTax.toFixed(4);
    RESULT.dataset.pBonus = res.pBonus.toFixed(4);
    RESULT.dataset.phase = res.phase;
    RESULT.dataset.nc = res.nc.median.toPrecision(4);
    RESULT.dataset.ess = res.ess.toFixed(1);
    const head = el("p", "", "headline");
    head.appendChild(el("strong", "Phase: " + res.phase, "phase-" + res.phase));
    head.appendChild(document.createTextNode("  P(tax) = " + fmt(res.pTax, 3) +
      ", P(bonus) = " + fmt(res.pBonus, 3)));
    RESULT.appendChild(head);
    RESULT.appendChild(table(["", "median", "95% interval"], [
      ["Family", res.family + " (" + res.basis + ")", ""],
      ["N_c (parameters)", fmtSize(res.nc.median), fmtSize(res.nc.low) + " to " +
        fmtSize(res.nc.high)],
      ["Decades above N_c", fmt(res.decades.median), fmt(res.decades.low) + " to " +
        fmt(res.decades.high)],
      ["Local coupling γ(x − c)", fmt(res.coupling.median), fmt(res.coupling.low) + " to " +
        fmt(res.coupling.high)],
      ["Effective sample size", fmt(res.ess, 4), ""],
    ]));
    RESULT.appendChild(el("h3", "Predictive scores at this size"));
    RESULT.appendChild(table(["benchmark", "given", "median", "95% interval", "percentile"],
      res.expected.map((e, k) => [[RB, TB][k].label, fmt([inp.reasoning, inp.truthfulness][k]),
        fmt(e.median), fmt(e.low) + " to " + fmt(e.high), fmt(e.percentile, 2)]),
      [false, true, true, false, true]));
    if (res.levers.length) {
      RESULT.appendChild(el("h3", "Levers: covariate changes that move N_c most"));
      RESULT.appendChild(table(["covariate", "unit", "current", "decades of N_c per unit",
        "95% interval", "P(lowers N_c)"], res.levers.map((l) => [l.covariate, l.unit,
        fmt(l.current), fmt(l.median), fmt(l.low) + " to " + fmt(l.high), fmt(l.pLowers, 2)])));
    }
    RESULT.appendChild(el("h3", "Nearest models of the panel"));
    RESULT.appendChild(table(["model", "family", "size", RB.label, TB.label, "distance"],
      nearest(res.x, inp.reasoning, inp.truthfulness, 5).map((n) => [MODELS.name[n.i],
        FAM.names[MODELS.family[n.i]], fmtSize(10 ** MODELS.x[n.i]), fmt(MODELS.reasoning[n.i]),
        fmt(MODELS.truthfulness[n.i]), fmt(n.distance, 2)])));
    const notes = el("ul", null, "note");
    res.notes.forEach((n) => notes.appendChild(el("li", n)));
    if (res.notes.length) RESULT.appendChild(notes);
    return res;
  }

  // ---------------------------------------------------------------------------------------
  // Phase map and forest (SVG)

  function axisScale(lo, hi, from, to) {
    return (v) => from + ((v - lo) / (hi - lo)) * (to - from);
  }
  function range(values, pad) {
    const lo = Math.min.apply(null, values);
    const hi = Math.max.apply(null, values);
    const p = (hi - lo) * pad || 0.05;
    return [lo - p, hi + p];
  }

  function drawPhaseMap(inp) {
    const host = document.getElementById("phase-map");
    host.replaceChildren();
    const W = 640;
    const H = 420;
    const M = { l: 55, r: 20, t: 15, b: 45 };
    const xs = MODELS.reasoning.slice();
    const ys = MODELS.truthfulness.slice();
    if (inp && inp.reasoning !== null && inp.truthfulness !== null) {
      xs.push(inp.reasoning);
      ys.push(inp.truthfulness);
    }
    const [x0, x1] = range(xs, 0.05);
    const [y0, y1] = range(ys, 0.05);
    const sx = axisScale(x0, x1, M.l, W - M.r);
    const sy = axisScale(y0, y1, H - M.b, M.t);
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H,
      role: "img", "aria-label": "phase map" });
    svg.appendChild(svgEl("rect", { x: M.l, y: M.t, width: W - M.l - M.r,
      height: H - M.t - M.b, fill: "none", stroke: "#999" }));
    for (let k = 0; k <= 4; k++) {
      const vx = x0 + ((x1 - x0) * k) / 4;
      const vy = y0 + ((y1 - y0) * k) / 4;
      svg.appendChild(svgEl("text", { x: sx(vx), y: H - M.b + 15, "text-anchor": "middle" },
        vx.toFixed(2)));
      svg.appendChild(svgEl("text", { x: M.l - 5, y: sy(vy) + 4, "text-anchor": "end" },
        vy.toFixed(2)));
    }
    svg.appendChild(svgEl("text", { x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle" },
      RB.label));
    svg.appendChild(svgEl("text", { x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle",
      transform: "rotate(-90 14 " + (M.t + H - M.b) / 2 + ")" }, TB.label));
    MODELS.name.forEach(function (name, i) {
      const dotNode = svgEl("circle", { cx: sx(MODELS.reasoning[i]), cy: sy(MODELS.truthfulness[i]),
        r: 4, fill: bonusColour(PANEL_BONUS[i]), stroke: "#333", "stroke-width": 0.4 });
      dotNode.appendChild(svgEl("title", {}, name + " (" + FAM.names[MODELS.family[i]] +
        "): P(bonus) = " + fmt(PANEL_BONUS[i], 2)));
      svg.appendChild(dotNode);
    });
    if (inp && inp.reasoning !== null && inp.truthfulness !== null) {
      const cx = sx(inp.reasoning);
      const cy = sy(inp.truthfulness);
      const mark = svgEl("path", { d: "M" + cx + " " + (cy - 8) + " L" + (cx + 8) + " " + cy +
        " L" + cx + " " + (cy + 8) + " L" + (cx - 8) + " " + cy + " Z", fill: "#000",
        id: "entered-model" });
      mark.appendChild(svgEl("title", {}, "the entered model"));
      svg.appendChild(mark);
    }
    host.appendChild(svg);
  }

  function drawForest() {
    const host = document.getElementById("forest");
    const rows = FAM.names.map(function (name, j) {
      const c = FAM.draws.c[j];
      return Object.assign({ name: name, j: j }, summary(c, uniformWeights(c.length)));
    }).sort((p, q) => p.median - q.median);
    const W = 640;
    const row = 18;
    const M = { l: 150, r: 20, t: 10, b: 40 };
    const H = M.t + M.b + row * rows.length;
    const values = rows.flatMap((r) => [r.low, r.high]).concat(FAM.x_min, FAM.x_max);
    const [x0, x1] = range(values, 0.03);
    const sx = axisScale(x0, x1, M.l, W - M.r);
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H,
      role: "img", "aria-label": "N_c per family" });
    for (let v = Math.ceil(x0); v <= Math.floor(x1); v++) {
      svg.appendChild(svgEl("line", { x1: sx(v), x2: sx(v), y1: M.t, y2: H - M.b,
        stroke: "#eee" }));
      svg.appendChild(svgEl("text", { x: sx(v), y: H - M.b + 14, "text-anchor": "middle" },
        "1e" + v));
    }
    svg.appendChild(svgEl("text", { x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle" },
      "N_c (parameters, log axis)"));
    rows.forEach(function (r, k) {
      const y = M.t + row * (k + 0.5);
      const label = svgEl("text", { x: M.l - 6, y: y + 4, "text-anchor": "end", tabindex: 0,
        role: "button", class: "family-label", "data-family": r.j, cursor: "pointer",
        fill: "#1f4e79" }, r.name);
      label.addEventListener("click", () => drawCoupling(r.j));
      label.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") drawCoupling(r.j);
      });
      svg.appendChild(label);
      svg.appendChild(svgEl("line", { x1: sx(FAM.x_min[r.j]), x2: sx(FAM.x_max[r.j]), y1: y,
        y2: y, stroke: "#ccc", "stroke-width": 6 }));
      svg.appendChild(svgEl("line", { x1: sx(r.low), x2: sx(r.high), y1: y, y2: y,
        stroke: "#1f4e79", "stroke-width": 1.5 }));
      const point = svgEl("circle", { cx: sx(r.median), cy: y, r: 3.5, fill: "#1f4e79" });
      point.appendChild(svgEl("title", {}, r.name + ": N_c " + fmtSize(10 ** r.median) + " (" +
        fmtSize(10 ** r.low) + " to " + fmtSize(10 ** r.high) + ")"));
      svg.appendChild(point);
    });
    host.appendChild(svg);
  }

  function drawCoupling(j) {
    // local coupling gamma (x - c) of family j on a grid of sizes: median and 95% band
    const host = document.getElementById("coupling");
    host.replaceChildren();
    const P = FAM.draws;
    const lo = FAM.x_min[j] - 0.5;
    const hi = FAM.x_max[j] + 0.5;
    const grid = [];
    for (let k = 0; k < 60; k++) grid.push(lo + ((hi - lo) * k) / 59);
    const w = uniformWeights(P.c[j].length);
    const bands = grid.map((x) => summary(P.c[j].map((c, d) => P.gamma[j][d] * (x - c)), w));
    const W = 640;
    const H = 300;
    const M = { l: 55, r: 20, t: 25, b: 40 };
    const [y0, y1] = range(bands.flatMap((b) => [b.low, b.high]).concat([0]), 0.05);
    const sx = axisScale(lo, hi, M.l, W - M.r);
    const sy = axisScale(y0, y1, H - M.b, M.t);
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H,
      role: "img", "aria-label": "coupling curve", id: "coupling-svg",
      "data-family": FAM.names[j] });
    svg.appendChild(svgEl("text", { x: M.l, y: 15 }, FAM.names[j] +
      ": local coupling γ(x − c) = dT/dR, median and 95% band (below 0: tax)"));
    svg.appendChild(svgEl("rect", { x: M.l, y: M.t, width: W - M.l - M.r,
      height: H - M.t - M.b, fill: "none", stroke: "#999" }));
    const band = bands.map((b, k) => sx(grid[k]) + "," + sy(b.high)).concat(
      bands.map((b, k) => sx(grid[k]) + "," + sy(b.low)).reverse());
    svg.appendChild(svgEl("polygon", { points: band.join(" "), fill: "#9ecae1",
      "fill-opacity": 0.6 }));
    svg.appendChild(svgEl("polyline", { points: bands.map((b, k) => sx(grid[k]) + "," +
      sy(b.median)).join(" "), fill: "none", stroke: "#1f4e79", "stroke-width": 2 }));
    svg.appendChild(svgEl("line", { x1: M.l, x2: W - M.r, y1: sy(0), y2: sy(0), stroke: "#333",
      "stroke-dasharray": "4 3" }));
    MODELS.x.forEach(function (x, i) {
      if (MODELS.family[i] !== j) return;
      svg.appendChild(svgEl("line", { x1: sx(x), x2: sx(x), y1: H - M.b, y2: H - M.b - 8,
        stroke: "#000" }));
    });
    for (let v = Math.ceil(lo); v <= Math.floor(hi); v++) {
      svg.appendChild(svgEl("text", { x: sx(v), y: H - M.b + 14, "text-anchor": "middle" },
        "1e" + v));
    }
    for (let k = 0; k <= 4; k++) {
      const v = y0 + ((y1 - y0) * k) / 4;
      svg.appendChild(svgEl("text", { x: M.l - 5, y: sy(v) + 4, "text-anchor": "end" },
        fmt(v, 2)));
    }
    svg.appendChild(svgEl("text", { x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle" },
      "parameters (log axis); ticks: the family's models"));
    host.appendChild(svg);
  }

  // ---------------------------------------------------------------------------------------
  // Frontier (bayescape.models.frontier): GPQA Diamond on SWE-bench Verified, lab lines

  function frontierLine() {
    const F = FR.draws;
    const w = uniformWeights(FR.n_draws);
    return {
      slope: summary(F.slope_mu, w),
      intercept: summary(F.intercept_mu.map((a, d) => a - F.slope_mu[d] * FR.swe_mean), w),
    };
  }

  function frontierPredict(swe, lab) {
    // predictive GPQA at this SWE score: a lab's line, or a new lab's drawn from the population
    const F = FR.draws;
    const r = rng(META.seed + 3);
    const y = [];
    for (let d = 0; d < FR.n_draws; d++) {
      const a = lab === null ? F.intercept_mu[d] + F.intercept_tau[d] * r.normal() :
        F.intercept[lab][d];
      const b = lab === null ? F.slope_mu[d] + F.slope_tau[d] * r.normal() : F.slope[lab][d];
      const mu = a + b * (swe - FR.swe_mean);
      const p = Math.min(Math.max(mu, FR.p_min), 1 - FR.p_min);
      const sd = Math.sqrt(F.sigma[d] * F.sigma[d] + p * (1 - p) * FR.inverse_items);
      y.push(mu + sd * r.normal());
    }
    return summary(y, uniformWeights(y.length));
  }

  function drawFrontierTable() {
    const F = FR.draws;
    const w = uniformWeights(FR.n_draws);
    const line = frontierLine();
    const host = document.getElementById("frontier-table");
    host.replaceChildren();
    host.dataset.slope = line.slope.median.toPrecision(6);
    host.dataset.intercept = line.intercept.median.toPrecision(6);
    host.appendChild(el("p", "Population line: slope " + fmt(line.slope.median) + " (" +
      fmt(line.slope.low) + " to " + fmt(line.slope.high) + ") GPQA per SWE, intercept at " +
      "SWE = 0 " + fmt(line.intercept.median) + " (" + fmt(line.intercept.low) + " to " +
      fmt(line.intercept.high) + "); " + FR.n_draws + " draws."));
    const rows = FR.models.name.map(function (name, i) {
      const x = FR.models.swe[i] - FR.swe_mean;
      const h = F.intercept_mu.map((a, d) => FR.models.gpqa[i] - (a + F.slope_mu[d] * x));
      return Object.assign({ name: name, i: i }, summary(h, w));
    }).sort((p, q) => q.median - p.median);
    const t = table(["model", "lab", "SWE-bench Verified", "GPQA Diamond", "h (median)",
      "95% interval"], rows.map((r) => [r.name, FR.labs[FR.models.lab[r.i]],
      fmt(FR.models.swe[r.i]), fmt(FR.models.gpqa[r.i]), fmt(r.median),
      fmt(r.low) + " to " + fmt(r.high)]), [false, false, true, true, true, false]);
    t.id = "frontier-h";
    host.appendChild(t);
  }

  function showFrontier() {
    const box = document.getElementById("frontier-result");
    box.replaceChildren();
    for (const attr of ["gpqaMedian", "gpqaLow", "gpqaHigh"]) delete box.dataset[attr];
    const swe = VALID.swe(INPUTS.swe.value.trim());
    const labName = VALID.lab(INPUTS.lab.value.trim());
    if (swe === null) {
      box.appendChild(el("p", "Enter a SWE-bench Verified score (a fraction strictly between " +
        "0 and 1).", "note"));
      return;
    }
    const lab = labName === null ? null : FR.labs.indexOf(labName);
    const s = frontierPredict(swe, lab);
    box.dataset.gpqaMedian = s.median.toFixed(4);
    box.dataset.gpqaLow = s.low.toFixed(4);
    box.dataset.gpqaHigh = s.high.toFixed(4);
    box.appendChild(el("p", "Predicted GPQA Diamond (" + (labName || "a new lab") + "): " +
      fmt(s.median) + ", 95% interval " + fmt(s.low) + " to " + fmt(s.high), "headline"));
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  function update(write) {
    const inp = readInputs();
    document.getElementById("new-family").disabled = inp.family !== null;
    if (write) writeFragment();
    showResult(inp);
    drawPhaseMap(inp);
    if (inp.family !== null) drawCoupling(inp.family);
    if (FR) showFrontier();
  }

  function start() {
    addOptions(INPUTS.family, FAM.names, "new family (describe below)");
    addOptions(INPUTS.data_curation, COV.curation_classes, "unknown");
    addOptions(INPUTS.distillation, Object.keys(DISTILLATION), "unknown");
    if (FR) addOptions(INPUTS.lab, FR.labs, "a new lab");
    readFragment();
    drawForest();
    if (FR) drawFrontierTable();
    for (const field in INPUTS) {
      INPUTS[field].addEventListener("input", () => update(true));
      INPUTS[field].addEventListener("change", () => update(true));
    }
    document.getElementById("inputs").addEventListener("submit", (e) => e.preventDefault());
    window.addEventListener("hashchange", function () {
      readFragment();
      update(false);
    });
    update(false);
    document.body.dataset.ready = "true";
  }

  try {
    start();
  } catch (err) {
    const box = document.getElementById("page-error");
    box.textContent = "The dashboard failed: " + err;
    box.hidden = false;
    throw err;
  }
})();
