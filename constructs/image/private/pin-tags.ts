import { IAspect } from 'aws-cdk-lib';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import { IConstruct } from 'constructs';

/** Sets exactly `tags` on components and recipes, and `tags` plus `imageTags` on images. */
export class PinImmutableTags implements IAspect {
  private static readonly PRIORITY = 10_000;

  constructor(
    private readonly tags: Record<string, string>,
    private readonly imageTags: Record<string, string>,
  ) {}

  public visit(node: IConstruct): void {
    const isImage = node instanceof imagebuilder.CfnImage;
    if (!isImage && !(node instanceof imagebuilder.CfnComponent) && !(node instanceof imagebuilder.CfnImageRecipe)) return;
    const wanted = isImage ? { ...this.tags, ...this.imageTags } : this.tags;
    for (const key of Object.keys(node.tags.tagValues())) {
      if (!(key in wanted)) node.tags.removeTag(key, PinImmutableTags.PRIORITY);
    }
    for (const [key, value] of Object.entries(wanted)) node.tags.setTag(key, value, PinImmutableTags.PRIORITY);
  }
}
