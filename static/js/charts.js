// The charts of an instance's or a host's page: the page's whole history for one range in one
// request, drawn with uPlot; fetched again when the monitor tells (live event "stats") that the
// page's host has new samples. Lines differ by dash as well as colour; times are the browser's.
(function () {
  "use strict";
  const section = document.getElementById("charts");
  if (!section || !window.uPlot) return;
  const grid = section.querySelector("[data-charts]");
  const empty = section.querySelector("[data-charts-empty]");
  const LOOKS = [
    { stroke: "#1f6feb", dash: [] },
    { stroke: "#cf222e", dash: [8, 4] },
    { stroke: "#1a7f37", dash: [2, 3] },
    { stroke: "#9a6700", dash: [12, 4, 2, 4] },
  ];
  let range = "1h";
  let plots = {};
  let loading = null;

  function human(value, suffix) {
    if (value === null || value === undefined) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let index = 0;
    while (Math.abs(value) >= 1024 && index < units.length - 1) {
      value /= 1024;
      index += 1;
    }
    return value.toFixed(index ? 1 : 0) + " " + units[index] + suffix;
  }

  const FORMATS = {
    percent: function (v) { return v === null || v === undefined ? "—" : v.toFixed(1) + " %"; },
    bytes: function (v) { return human(v, ""); },
    rate: function (v) { return human(v, "/s"); },
    count: function (v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "/s"; },
  };

  // [{id, title, unit, block, series: [[column, label], ...]}] for what the data holds.
  function chartsOf(data) {
    const list = [];
    if (data.instance) {
      list.push({ id: "cpu", title: "CPU (% of its vCPUs)", unit: "percent", block: data.instance, series: [[0, "CPU"]] });
      list.push({ id: "memory", title: "Memory in use", unit: "bytes", block: data.instance, series: [[1, "memory"]] });
      Object.keys(data.disks).forEach(function (name) {
        const block = data.disks[name];
        list.push({ id: "disk-" + name, title: "Disk " + name, unit: "rate", block: block, series: [[0, "read"], [1, "write"]] });
        list.push({ id: "disk-ops-" + name, title: "Disk " + name + " operations", unit: "count", block: block, series: [[2, "reads"], [3, "writes"]] });
      });
      Object.keys(data.nics).forEach(function (name) {
        const block = data.nics[name];
        list.push({ id: "nic-" + name, title: "Network " + name, unit: "rate", block: block, series: [[0, "received"], [1, "sent"]] });
        list.push({ id: "nic-packets-" + name, title: "Network " + name + " packets", unit: "count", block: block, series: [[2, "received"], [3, "sent"]] });
      });
    }
    if (data.host) {
      list.push({ id: "cpu", title: "CPU (% of its CPUs)", unit: "percent", block: data.host, series: [[0, "host"], [2, "its guests"]] });
      list.push({ id: "memory", title: "Memory in use", unit: "bytes", block: data.host, series: [[1, "host"], [3, "its guests"]] });
    }
    return list;
  }

  // uPlot's columns: times, then each series' averages (and maxima, for the consolidated ranges).
  function columnsOf(chart) {
    const block = chart.block;
    const columns = [block.times];
    const series = [{}];
    chart.series.forEach(function (entry, index) {
      const look = LOOKS[index % LOOKS.length];
      const suffix = block.maximum ? " (average)" : "";
      columns.push(block.average[entry[0]]);
      series.push({ label: entry[1] + suffix, stroke: look.stroke, dash: look.dash, width: 2, value: valueOf(chart) });
      if (block.maximum) {
        columns.push(block.maximum[entry[0]]);
        series.push({ label: entry[1] + " (maximum)", stroke: look.stroke, dash: [1, 3], width: 1, value: valueOf(chart) });
      }
    });
    return { columns: columns, series: series };
  }

  // Axes in the page's own colours (light or dark, as the browser prefers).
  function axis(options) {
    const style = getComputedStyle(document.body);
    const muted = style.getPropertyValue("--pico-muted-border-color").trim() || "#ccc";
    return Object.assign({ stroke: style.color, grid: { stroke: muted }, ticks: { stroke: muted } }, options);
  }

  function valueOf(chart) {
    return function (u, v) { return FORMATS[chart.unit](v); };
  }

  function latest(values) {
    for (let i = values.length - 1; i >= 0; i -= 1) if (values[i] !== null) return values[i];
    return null;
  }

  function caption(figure, chart) {
    const parts = chart.series.map(function (entry) {
      return entry[1] + " " + FORMATS[chart.unit](latest(chart.block.average[entry[0]]));
    });
    figure.querySelector("[data-latest]").textContent = parts.join(", ");
  }

  function draw(chart) {
    const shape = columnsOf(chart);
    const key = chart.id + ":" + range + ":" + shape.series.length;
    let entry = plots[chart.id];
    if (entry && entry.key === key) {
      entry.plot.setData(shape.columns);
    } else {
      if (entry) entry.figure.remove();
      const figure = document.createElement("figure");
      figure.dataset.chart = chart.id;
      figure.innerHTML = "<figcaption><strong></strong> <span data-latest></span></figcaption><div></div>";
      figure.querySelector("strong").textContent = chart.title + ":";
      grid.appendChild(figure);
      const options = {
        width: Math.max(280, figure.clientWidth), height: 180, series: shape.series,
        scales: chart.unit === "percent" ? { y: { range: [0, 100] } } : {},
        axes: [axis({}), axis({ size: 80, values: function (u, ticks) { return ticks.map(FORMATS[chart.unit]); } })],
      };
      entry = { key: key, figure: figure, plot: new window.uPlot(options, shape.columns, figure.querySelector("div")) };
      plots[chart.id] = entry;
    }
    caption(entry.figure, chart);
  }

  function load() {
    if (loading) return loading;
    loading = fetch(section.dataset.chartsUrl + "?range=" + range, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        const charts = chartsOf(data);
        const sampled = charts.some(function (chart) { return chart.block.times.length > 0; });
        empty.hidden = sampled;
        charts.forEach(draw);
      })
      .finally(function () { loading = null; });
    return loading;
  }

  section.querySelectorAll("[data-range]").forEach(function (button) {
    button.addEventListener("click", function () {
      range = button.dataset.range;
      section.querySelectorAll("[data-range]").forEach(function (other) {
        const chosen = other === button;
        other.setAttribute("aria-pressed", String(chosen));
        other.classList.toggle("secondary", !chosen);
      });
      load();
    });
  });

  document.addEventListener("live:stats", function (event) {
    if (String(event.detail.host_id) === section.dataset.hostId) load();
  });

  load();
})();
