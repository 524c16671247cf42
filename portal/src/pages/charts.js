// echarts with only what the dashboard and the cockpit draw (bars, lines, pies, axes,
// tooltip, legend, aria, the SVG renderer): imported by name so the build leaves the rest
// of echarts out.
import { use, init } from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, PieChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

export { init };
