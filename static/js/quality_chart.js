/* The /quality/ page's monthly chart: sampled satisfaction as a line, its Wilson 95 % interval as a band
   (two stacked areas: the invisible lower bound, then the band's width), and the 90 % target as a marked line.
   Labels come from the server in the user's language (json_script), so the chart reads in Chinese and English. */
(function () {
  "use strict";
  var holder = document.getElementById("satisfaction-chart");
  var source = document.getElementById("satisfaction-chart-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var chart = echarts.init(holder);
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 24, top: 40, bottom: 32 },
    legend: { data: [labels.rate, labels.interval] },
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var i = items[0].dataIndex;
        var rate = data.rate[i];
        if (rate === null) { return data.months[i] + "<br>" + labels.none; }
        var high = Math.round((data.low[i] + data.band[i]) * 10) / 10;
        return data.months[i] + "<br>" + labels.rate + ": " + rate + " %" +
          "<br>" + labels.interval + ": " + data.low[i] + "–" + high + " %" +
          "<br>" + labels.n + " = " + data.n[i];
      }
    },
    xAxis: { type: "category", data: data.months, boundaryGap: false },
    yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); }, max: 100,
             axisLabel: { formatter: "{value} %" } },
    series: [
      { name: "low", type: "line", data: data.low, stack: "interval", symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, areaStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: labels.interval, type: "line", data: data.band, stack: "interval", symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, areaStyle: { color: "#9ec5f0", opacity: 0.5 } },
      { name: labels.rate, type: "line", data: data.rate, connectNulls: false, symbolSize: 6,
        lineStyle: { width: 2, color: "#0b5cad" }, itemStyle: { color: "#0b5cad" },
        markLine: { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#b42318" },
                    label: { formatter: labels.target }, data: [{ yAxis: data.target }] } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
