"""``lnnet import MODEL -o NET.json [--arch ARCH.json] [--classes a,b] [--decision sign|argmax]``."""

from __future__ import annotations

import sys

from .common import add_json, add_quiet, print_json


def add_parser(sub):
    p = sub.add_parser(
        "import",
        help="turn a PyTorch model into an exact network file",
        description=(
            "Read MODEL, an nn.Sequential of Linear/LayerNorm/GroupNorm layers saved as a TorchScript archive "
            "(torch.jit.script(model).save(MODEL)), or a state_dict with --arch ARCH.json (read with "
            "torch.load(weights_only=True)), and write the exact network whose parameters are the exact binary "
            "values of the float weights. Whole pickled modules (torch.save(model)) are refused: loading them "
            "would run code from the file."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="TorchScript archive, or a state_dict file with --arch")
    p.add_argument("-o", "--output", required=True, metavar="NET", help="network file to write (format v1)")
    p.add_argument("--arch", metavar="ARCH", help="architecture description (JSON) for a state_dict MODEL")
    p.add_argument("--classes", help="comma-separated class names (default: from the archive, else 0,1 or 0..K-1)")
    p.add_argument("--decision", choices=("sign", "argmax"), help="decision rule (default: from the archive, else by output size)")
    p.add_argument("--eps-as", choices=("binary", "decimal"), default="binary",
                   help="read LayerNorm eps at its exact binary value (default) or its shortest decimal text")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import save_network
    from ..io.exports.from_torch import from_torch, load_torch_model

    module, info = load_torch_model(args.model, arch=args.arch)
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else info.get("classes")
    decision = args.decision or info.get("decision")
    net = from_torch(module, classes=classes, decision=decision, eps_as=args.eps_as,
                     meta={"imported_from": str(args.model)})
    save_network(net, args.output)
    summary = {"written": str(args.output), "input_dim": net.input_dim, "depth": net.depth, "width": net.width,
               "outputs": net.output_dim, "decision": net.decision, "classes": list(net.classes)}
    if args.json:
        print_json(summary)
    elif not args.quiet:
        print(f"wrote {args.output}: input_dim {net.input_dim}, {net.depth} LayerNorm layers, width {net.width}, "
              f"decision {net.decision}, classes {list(net.classes)}", file=sys.stderr)
    return 0
