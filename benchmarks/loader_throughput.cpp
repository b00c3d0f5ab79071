// Loader throughput on one thread: whole-slide tiles through the index → DINOv2's full multi-crop
// (2 × 224 global + 8 × 96 local crops, normalised into batch buffers), as the trainer's loader
// threads run it. Writes the tiles it read (--tiles-out) so the Python reference
// (loader_python.py) does the same work on the same tiles.
// --device-augment times the device path's CPU share: read, decode, crop and resample to bytes,
// with each crop's plan drawn (Note [Crop plans]); the photometry is left to the device.
//   build/bin/loader_throughput --index F.pdidx [--batches 6] [--batch 16] [--no-fast-path]
//                               [--device-augment] [--no-scaled-decode]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "data/augment/multi_crop.h"
#include "data/index/tile_index.h"
#include "data/loader/batch_queue.h"
#include "data/source/wsi_tile_source.h"

int main(int argc, char** argv) {
  using namespace pathodino::data;
  CLI::App app("loader throughput, one thread");
  std::string index_file, tiles_out;
  int64_t batches = 6, batch = 16;
  bool no_fast_path = false, device_augment = false, no_scaled_decode = false;
  app.add_option("--index", index_file, "tile index")->required();
  app.add_option("--batches", batches, "timed batches");
  app.add_option("--batch", batch, "images per batch");
  app.add_option("--tiles-out", tiles_out, "CSV of the tiles read (path,x,y,level,size)");
  app.add_flag("--no-fast-path", no_fast_path, "OpenSlide only");
  app.add_flag("--device-augment", device_augment, "the device path's CPU share only");
  app.add_flag("--no-scaled-decode", no_scaled_decode,
               "decode tiles from finer levels whole, then shrink them");
  CLI11_PARSE(app, argc, argv);

  const auto index = std::make_shared<const TileIndex>(index_file);
  WsiReadOptions read;
  read.pool.tiff_fast_path = !no_fast_path;
  read.scaled_decode = !no_scaled_decode;
  const WsiTileSource source(index, read);
  const DataOptions data;  // DINOv2's crops and augmentation
  const MultiCropAugment augment(data);
  const ShardedSampler sampler(source.size(), 0, 1, /*seed=*/3);
  BatchQueueOptions options;
  options.batch_size = batch;
  options.device_augment = device_augment;
  make_multi_crop_batch(source, augment, sampler, options, batches);  // warm-up: opens the slides
  const auto start = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < batches; ++b) make_multi_crop_batch(source, augment, sampler, options, b);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!tiles_out.empty()) {
    std::ofstream csv(tiles_out);
    csv << "path,x,y,level,size\n";
    for (int64_t b = 0; b < batches; ++b)
      for (int64_t i : sampler.batch(b, batch)) {
        const IndexedTile& t = index->tile(i);
        const IndexedGrid& g = index->grids()[t.grid];
        csv << index->slides()[g.slide].path << "," << t.x << "," << t.y << "," << g.level << ","
            << g.read_size << "\n";
      }
  }
  std::printf(
      "{\"images_per_second\": %.3f, \"images\": %lld, \"fast_path\": %s, \"device_augment\": "
      "%s}\n",
      static_cast<double>(batches * batch) / seconds, static_cast<long long>(batches * batch),
      no_fast_path ? "false" : "true", device_augment ? "true" : "false");
}
