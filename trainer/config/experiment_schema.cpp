// Every key of an experiment config: path (= the C++ member path), documentation, constraints.
// Defaults are the member initialisers of the Options structs (DINOv2's recipe).
#include <string>

#include "models/vit_sizes.h"
#include "trainer/config/experiment_schema.h"

namespace pathodino::config {

// KEY(optim.base_lr, "doc") declares key "optim.base_lr" bound to ExperimentConfig::optim.base_lr.
#define KEY(member, doc) \
  schema.field(          \
      #member, doc, [](ExperimentConfig & c) -> auto& { return c.member; })

namespace {

// run: and model:
void declare_run_and_model(ExperimentSchema& schema) {
  std::vector<std::string> archs;
  for (auto name : models::vit_size_names()) archs.emplace_back(name);

  KEY(run.name, "run name (a folder name); default: the config file's name");
  KEY(run.output_dir, "runs are written to OUTPUT_DIR/NAME");
  KEY(run.seed, "seed of every random stream").at_least(0);
  KEY(run.device, "auto: CUDA when a GPU is visible, else CPU");
  KEY(run.precision, "auto: bf16 autocast on CUDA, fp32 on CPU");
  KEY(run.intra_op_threads, "LibTorch threads per rank; 0 = cores / local ranks").at_least(0);
  KEY(run.log_every_steps, "progress line and JSONL record every N steps").at_least(1);
  KEY(run.max_consecutive_nonfinite, "non-finite steps skipped in a row before the run stops")
      .at_least(1);

  KEY(model.arch, "ViT size").one_of(archs);
  KEY(model.patch_size, "patch side in pixels; divides every crop size").at_least(2).at_most(64);
  KEY(model.num_register_tokens, "register tokens").at_least(0).at_most(16);
  KEY(model.drop_path_rate, "stochastic depth rate").at_least(0).below(1);
  KEY(model.drop_path_schedule, "stochastic depth over depth: same for all blocks, or linear");
  KEY(model.layerscale_init, "LayerScale initial value; 0 = no LayerScale").at_least(0);
  KEY(model.ffn, "block MLP: GELU MLP x4, or SwiGLU");
  KEY(model.qkv_bias, "bias in the attention qkv projection");
  KEY(model.interpolate_offset,
      "position-grid resampling at other crop sizes: DINOv2's offset 0.1, or 0 = by size (timm)")
      .at_least(0)
      .below(1);
  KEY(model.pretrained, "safetensors backbone (DINOv2/timm names) to start from; empty = random");
}

// ssl: the objective (DINO, iBOT, KoLeo heads and losses, teacher)
void declare_ssl(ExperimentSchema& schema) {
  KEY(ssl.dino.loss_weight, "weight of the DINO CLS-token loss").at_least(0);
  KEY(ssl.dino.head.n_prototypes, "prototypes of the DINO head").at_least(1);
  KEY(ssl.dino.head.bottleneck_dim, "L2-normalised bottleneck width").at_least(1);
  KEY(ssl.dino.head.hidden_dim, "MLP hidden width").at_least(1);
  KEY(ssl.dino.head.nlayers, "MLP layers").at_least(1);
  KEY(ssl.dino.head.trainable_gain,
      "train the prototypes' weight-norm gains (DINOv2); false = fixed at 1");
  KEY(ssl.ibot.loss_weight, "weight of the iBOT masked-patch loss").at_least(0);
  KEY(ssl.ibot.mask_sample_probability, "share of images that get masked").at_least(0).at_most(1);
  KEY(ssl.ibot.mask_ratio_min_max, "share of patches masked in a masked image")
      .of_length(2)
      .at_least(0)
      .at_most(1);
  KEY(ssl.ibot.separate_head, "false: iBOT uses the DINO head");
  KEY(ssl.ibot.head.n_prototypes, "prototypes of a separate iBOT head").at_least(1);
  KEY(ssl.ibot.head.bottleneck_dim, "bottleneck of a separate iBOT head").at_least(1);
  KEY(ssl.ibot.head.hidden_dim, "hidden width of a separate iBOT head").at_least(1);
  KEY(ssl.ibot.head.nlayers, "MLP layers of a separate iBOT head").at_least(1);
  KEY(ssl.ibot.head.trainable_gain, "train the gains of a separate iBOT head's prototypes");
  KEY(ssl.koleo.loss_weight, "weight of the KoLeo regulariser on student CLS").at_least(0);
  KEY(ssl.centering, "teacher centering: EMA center, or Sinkhorn-Knopp");
  KEY(ssl.center_momentum, "EMA momentum of the teacher center").at_least(0).at_most(1);
  KEY(ssl.sinkhorn_iterations, "Sinkhorn-Knopp iterations").at_least(1);
  KEY(ssl.student_temp, "student softmax temperature").above(0);
  KEY(ssl.teacher.temp, "teacher temperature after warmup").above(0);
  KEY(ssl.teacher.warmup_temp, "teacher temperature at step 0").above(0);
  KEY(ssl.teacher.warmup_temp_epochs, "epochs of linear teacher-temperature warmup").at_least(0);
  KEY(ssl.teacher.momentum, "EMA momentum at step 0 (cosine to final)").at_least(0).at_most(1);
  KEY(ssl.teacher.final_momentum, "EMA momentum at the last step").at_least(0).at_most(1);
}

// optim: schedules, AdamW, clipping
void declare_optim(ExperimentSchema& schema) {
  KEY(optim.epochs, "epochs of iterations_per_epoch steps").at_least(1);
  KEY(optim.iterations_per_epoch, "steps per epoch (not a pass over the data)").at_least(1);
  KEY(optim.base_lr, "peak learning rate per 1024 images of global batch").above(0);
  KEY(optim.lr_scaling, "lr = base_lr x f(global batch / 1024)");
  KEY(optim.schedule,
      "after warm-up: cosine to min_lr, weight_decay_end, final_momentum (DINOv2), or constant "
      "at base_lr, weight_decay, momentum (DINOv3)");
  KEY(optim.min_lr, "learning rate at the end of the cosine").at_least(0);
  KEY(optim.warmup_epochs, "epochs of linear lr warmup").at_least(0);
  KEY(optim.weight_decay, "weight decay at step 0 (cosine to weight_decay_end)").at_least(0);
  KEY(optim.weight_decay_end, "weight decay at the last step").at_least(0);
  KEY(optim.betas, "AdamW betas").of_length(2).at_least(0).below(1);
  KEY(optim.layerwise_decay, "lr multiplier per block, from the top").above(0).at_most(1);
  KEY(optim.patch_embed_lr_mult, "lr multiplier of the patch embedding").at_least(0);
  KEY(optim.decay_embeddings,
      "weight decay on pos_embed and the cls/register/mask tokens (DINOv2); false exempts them");
  KEY(optim.clip_grad, "max global gradient norm; 0 = no clipping").at_least(0);
  KEY(optim.freeze_last_layer_epochs, "epochs with the heads' last layer frozen").at_least(0);
  KEY(optim.grad_accumulation_steps, "micro-steps per optimizer step").at_least(1);
  KEY(optim.heads_only_steps,
      "steps that train only the heads (backbone lr 0) before the backbone joins; 0 = none")
      .at_least(0);
  KEY(optim.backbone_rewarm_steps,
      "steps of linear backbone-lr warm-up after heads_only_steps; 0 = warmup_epochs")
      .at_least(0);
}

// data: sources, crops, augmentations, loader
void declare_data(ExperimentSchema& schema) {
  KEY(data.source, "where images come from");
  KEY(data.batch_size_per_rank, "images per rank per step").at_least(1);
  KEY(data.loader_threads, "loader threads per rank; 0 = cores left after intra-op threads")
      .at_least(0);
  KEY(data.prefetch_batches, "bounded queue depth of ready batches").at_least(1);
  KEY(data.global_crops_size, "side of the 2 global crops, pixels").at_least(1);
  KEY(data.global_crops_scale, "random-resized-crop area range of global crops")
      .of_length(2)
      .above(0)
      .at_most(1);
  KEY(data.local_crops_number, "local crops per image").at_least(0);
  KEY(data.local_crops_size, "side of local crops, pixels").at_least(1);
  KEY(data.local_crops_scale, "random-resized-crop area range of local crops")
      .of_length(2)
      .above(0)
      .at_most(1);
  KEY(data.augmentation, "augmentation preset");
  KEY(data.blur_probabilities,
      "blur probability of global crop 1, global crop 2, local crops (DINOv2's code: 0, 0.9, 0.5)")
      .of_length(3)
      .at_least(0)
      .at_most(1);
  KEY(data.hed_jitter, "HED stain jitter sigma per crop (Tellez 2018); 0 = off")
      .at_least(0)
      .at_most(1);
  KEY(data.device_augment,
      "loader threads crop and resample only; colour, blur, solarize, HED and normalisation run "
      "batched on the training device");
  KEY(data.mean, "per-channel normalisation mean (RGB)").of_length(3).at_least(0).at_most(1);
  KEY(data.std, "per-channel normalisation std (RGB)").of_length(3).above(0);
  KEY(data.wsi.index, "tile index from `pathodino index`");
  KEY(data.wsi.target_mpp, "µm/px of the tiles; several = mixed magnification").above(0);
  KEY(data.wsi.tile_size, "tile side in pixels at the target µm/px").at_least(1);
  KEY(data.wsi.tissue_threshold, "minimum tissue fraction of a kept tile").at_least(0).at_most(1);
  KEY(data.wsi.fallback_mpp, "µm/px assumed for slides without any; 0 = refuse them").at_least(0);
  KEY(data.wsi.balance_by, "group column to balance sampling over; empty = none");
  KEY(data.wsi.balance_alpha, "group weight proportional to count^alpha").at_least(0).at_most(1);
  KEY(data.wsi.exclude,
      "evaluation manifests whose slides (by content) and patients must not be in the index");
  KEY(data.wsi.patient_column, "the manifests' column naming the patient (leakage guard)");
  KEY(data.wsi.tiff_fast_path,
      "decode JPEG TIFF tiles with libjpeg-turbo (pixel-identical to OpenSlide)");
  KEY(data.wsi.scaled_decode,
      "fast path: decode at 1/2, 1/4 or 1/8 (DCT scaling) when the level is that much finer than "
      "the tiles");
  KEY(data.images.root, "folder of images (one subfolder per class) or a CSV");
  KEY(data.dicom.index, "DICOM index (pathodino index-dicom)");
  KEY(data.dicom.read.window,
      "VOI window: file (the file's own, else min-max), fixed (center/width), percentile");
  KEY(data.dicom.read.center, "fixed window: centre, in modality units (e.g. HU)");
  KEY(data.dicom.read.width, "fixed window: width, in modality units").at_least(0);
  KEY(data.dicom.read.clip_percent, "percentile window: % of pixels clipped at each end")
      .at_least(0)
      .at_most(49);
  KEY(data.synthetic.num_classes, "texture classes").at_least(2);
  KEY(data.synthetic.images_per_class, "images rendered per class").at_least(1);
  KEY(data.synthetic.image_size, "side of a rendered image, pixels").at_least(16);
  KEY(data.synthetic.stain_variation,
      "per-image staining differences (brightness, hue, saturation, H/E intensity); 0 = none, "
      "1 = slide-to-slide range")
      .at_least(0)
      .at_most(2);
}

// distributed:, checkpoint:, metrics:, eval:
void declare_services(ExperimentSchema& schema) {
  KEY(distributed.backend, "auto: NCCL for CUDA tensors, MPI for CPU tensors");
  KEY(distributed.first_bucket_mb, "size of the first gradient bucket, MiB").above(0);
  KEY(distributed.bucket_mb, "size of later gradient buckets, MiB").above(0);
  KEY(distributed.timeout_s, "a collective slower than this aborts the job").above(0);
  KEY(distributed.param_check_every_steps, "cross-rank parameter checksum; 0 = at start only")
      .at_least(0);
  KEY(distributed.zero1, "shard optimizer state across ranks (ZeRO-1)");

  KEY(checkpoint.directory, "where checkpoints go; empty = <run dir>/checkpoints");
  KEY(checkpoint.every_steps, "save every N steps; 0 = at the end only").at_least(0);
  KEY(checkpoint.keep_last, "newest complete checkpoints kept").at_least(1);
  KEY(checkpoint.keep_every_steps, "also keep steps that are multiples of this; 0 = none")
      .at_least(0);
  KEY(checkpoint.async_save, "write checkpoints in the background");
  KEY(checkpoint.on_save_failure, "what a failed save does to the run");
  KEY(checkpoint.fallback_to_previous, "on a corrupt checkpoint, resume from the previous one");
  KEY(checkpoint.signing_key, "Ed25519 private key file (PEM) that signs manifests and exports");
  KEY(checkpoint.public_key, "Ed25519 public key file (PEM) that loads check signatures with");
  KEY(checkpoint.require_signature, "refuse to load a checkpoint without a valid signature");
  KEY(checkpoint.encryption_key, "AES-256 key file: shards encrypted at rest (AES-256-GCM)");

  KEY(metrics.prometheus, "serve Prometheus metrics on /metrics");
  KEY(metrics.bind_address, "address to listen on; anything but 127.0.0.1 is an opt-in");
  KEY(metrics.port_base, "rank r serves on port_base + local rank").at_least(1024).at_most(65000);
  KEY(metrics.bearer_token_file, "file with the token scrapes must send; required beyond loopback");
  KEY(metrics.tls_certificate, "PEM certificate: serve /metrics over HTTPS; empty = HTTP");
  KEY(metrics.tls_private_key, "PEM private key of metrics.tls_certificate");
  KEY(metrics.pushgateway_url, "Pushgateway to push to at the end; empty = none");
  KEY(metrics.timeline_start_step, "first step of the Chrome-trace timeline").at_least(0);
  KEY(metrics.timeline_steps, "steps in the timeline; 0 = none").at_least(0);

  KEY(eval.knn_every_steps, "live kNN every N steps; 0 = never").at_least(0);
  KEY(eval.knn_dataset, "labelled tiles for kNN; empty = the synthetic labelled set");
  KEY(eval.knn_label_column, "for a tile index as knn_dataset: the manifest column with the class");
  KEY(eval.group_column, "scores per value of this manifest column; empty = site, if there");
  KEY(eval.knn_k, "neighbours").at_least(1);
  KEY(eval.knn_temperature, "similarity weighting temperature").above(0);
  KEY(eval.linear_probe, "train a linear probe on the frozen teacher at the end");
  KEY(eval.linear_epochs, "full-batch AdamW steps of the linear probe").at_least(1);
  KEY(eval.linear_lr, "learning rate of the linear probe").above(0);
  KEY(eval.linear_weight_decay, "weight decay of the linear probe").at_least(0);
  KEY(audit.shared_log,
      "an audit log shared by runs and commands, besides each run's audit.jsonl; empty = none");
  KEY(audit.draw_log,
      "every rank logs the index of every image it trains on to RUN/draws/rank_<r>.csv");
  KEY(privacy.pseudonymise, "name slides and patients by keyed pseudonym in lines and files");
  KEY(privacy.key_file, "secret key file of the pseudonyms (keys generate-aes)");
  KEY(eval.report_seeds,
      "random-feature seeds scored next to a backbone by the run report, the live kNN line's "
      "first seed, and eval knn|linear|robustness (unless --baseline N); 0 = none")
      .at_least(0)
      .at_most(100);
}

// curate: clustering and de-duplication of an archive's embeddings (`pathodino curate`)
void declare_curate(ExperimentSchema& schema) {
  KEY(curate.levels,
      "k-means clusters per level, finest first; each level clusters the last's "
      "centroids")
      .at_least(1);
  KEY(curate.iterations, "k-means iterations per level").at_least(1);
  KEY(curate.restarts, "k-means runs from k-means++ seeds per clustering, the best fit kept")
      .at_least(1);
  KEY(curate.max_points_per_centroid, "k-means trains on at most clusters x this many vectors")
      .at_least(1);
  KEY(curate.resample_sizes,
      "per level (the last repeats): points nearest each centroid re-clustered; 1 = none")
      .at_least(1);
  KEY(curate.resampling_steps, "resampling steps of each level that has them").at_least(0);
  KEY(curate.duplicate_cosine, "drop a tile more similar than this to a kept one; 1 = keep all")
      .at_least(-1)
      .at_most(1);
  KEY(curate.duplicate_probes, "finest clusters searched for a tile's near-duplicates").at_least(1);
  KEY(curate.site_column, "slide column the curation summaries break down by");
  KEY(curate.mosaic_nearest, "tiles of a cluster's mosaic nearest its centroid").at_least(0);
  KEY(curate.mosaic_random, "tiles of a cluster's mosaic drawn at random from the rest")
      .at_least(0);
}

}  // namespace

ExperimentSchema make_experiment_schema() {
  ExperimentSchema schema;
  declare_run_and_model(schema);
  declare_ssl(schema);
  declare_optim(schema);
  declare_data(schema);
  declare_services(schema);
  declare_curate(schema);
  return schema;
}

#undef KEY

}  // namespace pathodino::config
