#include "trainer/metrics/line_plot.h"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

namespace pathodino::metrics {
namespace {

// Round tick spacing (1, 2 or 5 times a power of ten) giving about `target` ticks over the span.
double tick_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

// Tableau-10 colours: distinguishable lines for up to ten runs, then they repeat.
constexpr double kColours[][3] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
                                  {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
                                  {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13},
                                  {0.09, 0.75, 0.81}};

// The plot area: data coordinates to pixels, and text placed on it.
struct Canvas {
  cairo_t* cr;
  double x0, x1, y0, y1;                                 // data range, padded
  double left = 80, right = 300, top = 50, bottom = 60;  // legend on the right
  double w = 0, h = 0;

  double px(double x) const { return left + (x - x0) / (x1 - x0) * w; }
  double py(double y) const { return top + h - (y - y0) / (y1 - y0) * h; }
  void text(const std::string& s, double x, double y, double size, double align) const {
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    cairo_move_to(cr, x - align * e.width, y);
    cairo_show_text(cr, s.c_str());
  }
};

// Data range, padded; an empty plot still gets axes.
Canvas canvas_for(const LinePlot& plot, cairo_t* cr) {
  double x0 = std::numeric_limits<double>::max(), x1 = std::numeric_limits<double>::lowest();
  double y0 = x0, y1 = x1;
  for (const Series& s : plot.series)
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x1 = x0 + 1;
  if (y1 - y0 < 1e-12) y0 -= 0.05, y1 += 0.05;
  const double y_pad = 0.05 * (y1 - y0);
  Canvas c{cr, x0, x1, y0 - y_pad, y1 + y_pad};
  c.w = plot.width - c.left - c.right;
  c.h = plot.height - c.top - c.bottom;
  return c;
}

// Grid, ticks, tick labels, frame, title and axis labels.
void draw_axes(const Canvas& c, const LinePlot& plot) {
  cairo_t* cr = c.cr;
  cairo_set_line_width(cr, 1);
  const double xs = tick_step(c.x1 - c.x0, 8), ys = tick_step(c.y1 - c.y0, 6);
  for (double x = std::ceil(c.x0 / xs) * xs; x <= c.x1 + 1e-9; x += xs) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, c.px(x), c.top);
    cairo_line_to(cr, c.px(x), c.top + c.h);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    c.text(fmt::format("{:g}", x), c.px(x), c.top + c.h + 18, 12, 0.5);
  }
  for (double y = std::ceil(c.y0 / ys) * ys; y <= c.y1 + 1e-9; y += ys) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, c.left, c.py(y));
    cairo_line_to(cr, c.left + c.w, c.py(y));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    c.text(fmt::format("{:g}", std::abs(y) < 1e-12 ? 0.0 : y), c.left - 8, c.py(y) + 4, 12, 1.0);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, c.left, c.top, c.w, c.h);
  cairo_stroke(cr);
  c.text(plot.title, c.left + c.w / 2, 30, 16, 0.5);
  c.text(plot.x_label, c.left + c.w / 2, plot.height - 15, 13, 0.5);
  cairo_save(cr);
  cairo_translate(cr, 22, c.top + c.h / 2);
  cairo_rotate(cr, -M_PI / 2);
  c.text(plot.y_label, 0, 0, 13, 0.5);
  cairo_restore(cr);
}

// One line (with point marks) and one legend entry per series.
void draw_series(const Canvas& c, const LinePlot& plot) {
  cairo_t* cr = c.cr;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const double* colour = kColours[i % std::size(kColours)];
    cairo_set_source_rgb(cr, colour[0], colour[1], colour[2]);
    cairo_set_line_width(cr, 2);
    const double dash[] = {8, 5};
    cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
    for (size_t p = 0; p < s.points.size(); ++p) {
      const double x = c.px(s.points[p].first), y = c.py(s.points[p].second);
      if (p == 0)
        cairo_move_to(cr, x, y);
      else
        cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
    for (const auto& [x, y] : s.points) {
      if (!s.marks) break;
      cairo_arc(cr, c.px(x), c.py(y), 3, 0, 2 * M_PI);
      cairo_fill(cr);
    }
    const double ly = c.top + 10 + 22 * static_cast<double>(i);
    cairo_move_to(cr, c.left + c.w + 15, ly);
    cairo_line_to(cr, c.left + c.w + 40, ly);
    cairo_stroke(cr);
    cairo_set_dash(cr, dash, 0, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    c.text(s.name, c.left + c.w + 48, ly + 4, 12, 0.0);
  }
}

}  // namespace

void write_png(const LinePlot& plot, const std::filesystem::path& file) {
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, plot.width, plot.height),
      cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> owner(cairo_create(surface.get()),
                                                           cairo_destroy);
  cairo_t* cr = owner.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const Canvas canvas = canvas_for(plot, cr);
  draw_axes(canvas, plot);
  draw_series(canvas, plot);
  cairo_surface_flush(surface.get());
  const cairo_status_t status = cairo_surface_write_to_png(surface.get(), file.string().c_str());
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(file.string() +
                             ": cannot write the plot: " + cairo_status_to_string(status));
}

}  // namespace pathodino::metrics
