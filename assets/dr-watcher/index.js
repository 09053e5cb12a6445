// PLACEHOLDER until the dr-watcher bundle is built from lib/lambda/dr-watcher (npm run build:lambdas).
// It exists so the RegionalFailover construct can synthesize; deployed as is, every tick fails loudly.
exports.handler = async () => {
  throw new Error('cdk-bluegreen dr-watcher: not built (placeholder asset); run npm run build:lambdas');
};
