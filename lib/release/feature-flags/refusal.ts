/** A change the flag engine refuses before changing anything (the CLI exits 3 with the message). */
export class FeatureFlagRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureFlagRefusal';
  }
}
